import hmac

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from .models import Assignment, EssayPrompt, Profile, RubricComment, RubricCriterion, RubricLevel, StudyGroup
from .services import groups
from .services.notifications import one_line
from .services.rubrics import Mark


class NotebookUploadForm(forms.Form):
    notebook = forms.FileField(
        label="Notebook (.ipynb)",
        widget=forms.ClearableFileInput(attrs={"accept": ".ipynb"}),
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_notebook(self):
        upload = self.cleaned_data["notebook"]
        if not upload.name.lower().endswith(".ipynb"):
            raise forms.ValidationError("Upload a Jupyter notebook: the file name must end in .ipynb.")
        # Checked before reading, so a huge upload is refused without loading it.
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                f"The file is {upload.size / 1e6:.1f} MB; notebooks may be at most {self.max_bytes / 1e6:.1f} MB."
            )
        return upload


def plain_name(name: str) -> str:
    """A name on one line: line breaks, tabs and other control characters become spaces.
    Names reach e-mail subjects, CSV cells and page titles, where a line break is never
    meant and can break the header it lands in."""
    cleaned = one_line(name)
    if not cleaned:
        raise forms.ValidationError("Enter a name with at least one visible character.")
    return cleaned


def checked_join_code(code: str) -> str:
    code = code.strip()
    if not hmac.compare_digest(code.encode(), settings.COURSE_JOIN_CODE.encode()):
        raise forms.ValidationError("That join code is not this course's. Check it with your TA.")
    return code


class JoinCodeForm(forms.Form):
    """The course's join code, asked once of a student whose first sign-in came from single sign-on."""

    join_code = forms.CharField(max_length=100, help_text="Your TA gives you this code.")

    def clean_join_code(self):
        return checked_join_code(self.cleaned_data["join_code"])


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="For password resets only.")
    display_name = forms.CharField(max_length=80, help_text="How TAs see you.")
    leaderboard_alias = forms.CharField(max_length=40, help_text="Shown on the leaderboard instead of your name.")
    show_name_on_leaderboard = forms.BooleanField(required=False, label="Show my display name on the leaderboard instead")
    join_code = forms.CharField(max_length=100, help_text="Your TA gives you this code.")
    group = forms.ModelChoiceField(queryset=StudyGroup.objects.all(), label="Study group",
                                   help_text="The group your TA told you to join; your work goes to its TA.",
                                   empty_label="— choose your group —",
                                   error_messages={"required": "Choose your study group (your TA tells you which)."})

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, choose_group: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not choose_group:  # the course assigns groups itself (or has none yet)
            del self.fields["group"]

    def clean_join_code(self):
        return checked_join_code(self.cleaned_data["join_code"])

    def clean_leaderboard_alias(self):
        alias = self.cleaned_data["leaderboard_alias"].strip()
        if Profile.objects.filter(leaderboard_alias__iexact=alias).exists():
            raise forms.ValidationError("Someone already uses that alias; pick another.")
        return alias

    def full_clean(self):
        super().full_clean()
        # Without the course's code, say nothing about who is already here: "already exists"
        # beside a username told a stranger which accounts there are.
        if self.is_bound and self.has_error("join_code"):
            for field in ("username", "leaderboard_alias"):
                self.errors.pop(field, None)

    def clean_display_name(self):
        return plain_name(self.cleaned_data["display_name"])

    def save(self, commit=True):
        from .services.groups import group_for_new_student

        user = super().save(commit=False)
        user.email = self.cleaned_data["email"]
        user.save()
        Profile.objects.create(
            user=user, display_name=self.cleaned_data["display_name"],
            leaderboard_alias=self.cleaned_data["leaderboard_alias"],
            show_name_on_leaderboard=self.cleaned_data["show_name_on_leaderboard"],
            group=group_for_new_student(self.cleaned_data.get("group")),
        )
        return user


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ("display_name", "leaderboard_alias", "show_name_on_leaderboard", "email_notifications",
                  "email_frequency")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A form from before the choice existed (a page open since) keeps the current one.
        self.fields["email_frequency"].required = False

    def clean_email_frequency(self):
        return self.cleaned_data.get("email_frequency") or self.instance.email_frequency or Profile.EACH

    def clean_display_name(self):
        return plain_name(self.cleaned_data["display_name"])

    def clean_leaderboard_alias(self):
        alias = self.cleaned_data["leaderboard_alias"].strip()
        if Profile.objects.filter(leaderboard_alias__iexact=alias).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Someone already uses that alias; pick another.")
        return alias


class PromptChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.order}. {obj.text}"  # numbered as the page's list and the error messages number them


class EssaySlotForm(forms.Form):
    """One of the three essays: a prompt, and text typed or uploaded."""

    prompt = PromptChoiceField(queryset=EssayPrompt.objects.all(), required=False, empty_label="— choose a prompt —")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False, max_length=60000)
    upload = forms.FileField(required=False, label="…or upload .txt, .md, .docx or .pdf",
                             widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,.docx,.pdf"}))


# --- rubrics ------------------------------------------------------------------------------


class CriterionForm(forms.ModelForm):
    class Meta:
        model = RubricCriterion
        fields = ("name", "max_points", "bonus", "deduction", "description")
        labels = {"max_points": "Points", "bonus": "Bonus (adds to the score, not to the maximum)",
                  "deduction": "Deduction (takes up to its points off the total, which never goes below 0)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        error_messages = {"name": {"required": "Give the criterion a title."},
                          "max_points": {"required": "Give the points it is worth (1 to 100).",
                                         "invalid": "Points are a whole number from 1 to 100."}}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the criterion a title.")
        return name

    def clean(self):
        data = super().clean()
        if data.get("bonus") and data.get("deduction"):
            self.add_error("deduction", "A criterion either adds bonus points or takes points off, not both.")
        return data


class _LevelsBase(forms.BaseInlineFormSet):
    def __init__(self, *args, max_points: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_points = max_points

    def clean(self):
        super().clean()
        for form in self.forms:
            points = form.cleaned_data.get("points") if hasattr(form, "cleaned_data") else None
            if points is None or form.cleaned_data.get("DELETE"):
                continue
            if self.max_points is not None and points > self.max_points:
                form.add_error("points", f"A level cannot be worth more than the criterion's {self.max_points} points.")


LevelFormSet = forms.inlineformset_factory(
    RubricCriterion, RubricLevel, formset=_LevelsBase, fields=("points", "title", "description"), extra=2,
    can_delete=True, widgets={"description": forms.TextInput()})
CommentFormSet = forms.inlineformset_factory(
    RubricCriterion, RubricComment, fields=("text",), extra=2, can_delete=True,
    widgets={"text": forms.Textarea(attrs={"rows": 2})}, labels={"text": "Comment"})


def parse_points(raw: str) -> float:
    """A number of points as a TA types it ("2", "2.5", "2,5"); ValueError otherwise."""
    value = float(raw.strip().replace(",", "."))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(raw)
    return round(value, 2)


class ReviewForm(forms.Form):
    """Points and a comment per criterion, the overall comments, and the version it was loaded at."""

    feedback = forms.CharField(required=False, widget=forms.Textarea, label="Comments for the student")
    feedback_only = forms.BooleanField(required=False, label="Feedback only (no score)")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Used only with "Request a resubmission": the last day the new version counts as handed in
    # when the one it replaces was (empty: the default, services.reviews.default_resubmit_by).
    resubmit_by = forms.DateField(required=False, label="Resubmit by", widget=forms.DateInput(attrs={"type": "date"}),
                                  error_messages={"invalid": "Give the date as shown, for example 2026-12-14."})

    def __init__(self, criteria, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for c in self.criteria:
            self.fields[f"criterion-{c.pk}"] = forms.CharField(required=False, max_length=30)
            self.fields[f"criterion-{c.pk}-comment"] = forms.CharField(required=False, widget=forms.Textarea)
            self.fields[f"criterion-{c.pk}-save-comment"] = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        for c in self.criteria:
            raw = (data.get(f"criterion-{c.pk}") or "").strip()
            if raw:
                try:
                    data[f"criterion-{c.pk}"] = parse_points(raw)
                except ValueError:
                    self.add_error(f"criterion-{c.pk}", f"{c.name}: \u201c{raw}\u201d is not a number of points.")
            else:
                data[f"criterion-{c.pk}"] = None
        return data

    def marks(self) -> dict[int, Mark]:
        data = self.cleaned_data
        return {c.pk: Mark(data.get(f"criterion-{c.pk}"), (data.get(f"criterion-{c.pk}-comment") or "").strip(),
                           bool(data.get(f"criterion-{c.pk}-save-comment"))) for c in self.criteria}


# --- appeals, extensions, groups -------------------------------------------------------------


class AppealForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
                             label="What should your TA look at again, and why?",
                             error_messages={"required": "Say what you think was missed or misjudged: an appeal needs "
                                                         "a reason."})
    seen = forms.CharField(widget=forms.HiddenInput)


class AppealAnswerForm(forms.Form):
    OUTCOMES = [("unchanged", "The result stands"), ("changed", "I changed the result")]

    outcome = forms.ChoiceField(choices=OUTCOMES, widget=forms.RadioSelect, label="Outcome",
                                error_messages={"required": "Say whether the result was changed or stands."})
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=4000, label="Answer to the student",
                             error_messages={"required": "Write an answer: the student sees it with the outcome."})

    def offer(self, outcomes: list[str]) -> None:
        """Show only `outcomes` (services.appeals.true_outcomes), chosen already when there is one;
        the service refuses the others whatever is posted, so this is for the page alone."""
        self.fields["outcome"].choices = [c for c in self.OUTCOMES if c[0] in outcomes]
        if len(outcomes) == 1 and not self.is_bound:
            self.initial["outcome"] = outcomes[0]


LOCAL_MOMENT = dict(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])


class TaskTermsForm(forms.ModelForm):
    """A task's due date and late policy, as staff set them."""

    due_at = forms.DateTimeField(required=False, label="Due date", **LOCAL_MOMENT)
    lock_at = forms.DateTimeField(required=False, label="Lock date (close policy: no work after it)", **LOCAL_MOMENT)

    class Meta:
        model = Assignment
        fields = ("due_at", "late_policy", "late_penalty_per_day", "lock_at")
        labels = {"late_policy": "Late work", "late_penalty_per_day": "Share of the score lost per day late (0.1 = 10%)"}
        error_messages = {"late_penalty_per_day": {"min_value": "The penalty cannot be negative.",
                                                   "max_value": "The penalty is a share of the score: at most 1 (100%%)."}}

    def clean(self):
        data = super().clean()
        due, lock = data.get("due_at"), data.get("lock_at")
        if data.get("late_policy") == Assignment.CLOSE and lock and due and lock < due:
            self.add_error("lock_at", "The lock date must be at or after the due date, or students could never be late.")
        if lock and not due:
            self.add_error("due_at", "Set a due date before a lock date.")
        return data


class ExtensionForm(forms.Form):
    assignment = forms.ModelChoiceField(queryset=Assignment.objects.filter(due_at__isnull=False), label="Task",
                                        empty_label="— choose a task —")
    # TAs know students by name: the field takes a name, a username or an e-mail, and the
    # page's picker (static/js/student-picker.js) offers matches as they type.
    student = forms.CharField(required=False, max_length=254, label="Student",
                              help_text="Their name, username or e-mail; pick from the list as you type. "
                                        "Or leave empty and choose a group.",
                              widget=forms.TextInput(attrs={"list": "student-options", "autocomplete": "off"}))
    group = forms.ModelChoiceField(queryset=StudyGroup.objects.all(), required=False, empty_label="— no group —")
    due_at = forms.DateTimeField(label="New due date", **LOCAL_MOMENT)
    reason = forms.CharField(required=False, max_length=500, label="Reason (kept with the extension)")

    def clean_student(self):
        typed = self.cleaned_data["student"].strip()
        if not typed:
            return None
        try:
            return groups.student_called(typed)
        except groups.UnknownStudent as exc:
            raise forms.ValidationError(str(exc)) from exc


class RevealForm(forms.Form):
    confirm = forms.BooleanField(label="I understand every student will see the private-half ranking")
    override = forms.BooleanField(required=False, label="Reveal before the deadline anyway")
    reason = forms.CharField(required=False, max_length=500, label="Why reveal early (kept in the audit trail)")


class GroupChoiceForm(forms.Form):
    """The study group a student who joined by single sign-on picks, as sign-up asks for it."""

    group = SignupForm.base_fields["group"]
