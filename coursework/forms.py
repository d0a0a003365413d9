import hmac

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from .models import EssayPrompt, Profile


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


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="For password resets only.")
    display_name = forms.CharField(max_length=80, help_text="How TAs see you.")
    leaderboard_alias = forms.CharField(max_length=40, help_text="Shown on the leaderboard instead of your name.")
    show_name_on_leaderboard = forms.BooleanField(required=False, label="Show my display name on the leaderboard instead")
    join_code = forms.CharField(max_length=100, help_text="Your TA gives you this code.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_join_code(self):
        code = self.cleaned_data["join_code"].strip()
        if not hmac.compare_digest(code.encode(), settings.COURSE_JOIN_CODE.encode()):
            raise forms.ValidationError("That join code is not this course's. Check it with your TA.")
        return code

    def clean_leaderboard_alias(self):
        alias = self.cleaned_data["leaderboard_alias"].strip()
        if Profile.objects.filter(leaderboard_alias__iexact=alias).exists():
            raise forms.ValidationError("Someone already uses that alias; pick another.")
        return alias

    def clean_display_name(self):
        return self.cleaned_data["display_name"].strip()

    def save(self, commit=True):
        user = super().save(commit=False)
        user.email = self.cleaned_data["email"]
        user.save()
        Profile.objects.create(
            user=user, display_name=self.cleaned_data["display_name"],
            leaderboard_alias=self.cleaned_data["leaderboard_alias"],
            show_name_on_leaderboard=self.cleaned_data["show_name_on_leaderboard"],
        )
        return user


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ("display_name", "leaderboard_alias", "show_name_on_leaderboard")

    def clean_leaderboard_alias(self):
        alias = self.cleaned_data["leaderboard_alias"].strip()
        if Profile.objects.filter(leaderboard_alias__iexact=alias).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Someone already uses that alias; pick another.")
        return alias


class EssaySlotForm(forms.Form):
    """One of the three essays: a prompt, and text typed or uploaded."""

    prompt = forms.ModelChoiceField(queryset=EssayPrompt.objects.all(), required=False, empty_label="— choose a prompt —")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False, max_length=60000)
    upload = forms.FileField(required=False, label="…or upload .txt, .md, .docx or .pdf",
                             widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,.docx,.pdf"}))
