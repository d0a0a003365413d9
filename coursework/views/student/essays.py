"""The non-technical project: three essays, typed or uploaded, with word counts."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ...forms import EssaySlotForm
from ...models import Assignment, EssayPrompt, EssaySubmission
from ...rendering import render_markdown
from ...services import deadlines, essays, publishing, results
from ...uploads import limit_upload_size

SLOTS = 3


@login_required
@limit_upload_size(lambda: essays.MAX_ESSAY_UPLOAD_BYTES)
def essays_page(request):
    prompts = list(EssayPrompt.objects.all())
    latest = EssaySubmission.objects.filter(student=request.user).prefetch_related("essays__prompt").first()
    problems, drafts, restored = [], [], None
    if request.method == "POST":
        forms = [EssaySlotForm(request.POST, request.FILES, prefix=f"e{i}") for i in range(SLOTS)]
        oversized = getattr(request, "oversized_uploads", {})
        for i, form in enumerate(forms):
            if f"e{i}-upload" in oversized:
                form.add_error("upload", f"{oversized[f'e{i}-upload']} is larger than "
                                         f"{essays.MAX_ESSAY_UPLOAD_BYTES // 1_000_000} MB, the limit for an essay file.")
                continue
            if not form.is_valid():
                continue
            prompt, text, upload = form.cleaned_data["prompt"], form.cleaned_data["text"], form.cleaned_data["upload"]
            source = ""
            if upload:
                try:
                    text = essays.extract_text(upload.name, upload.read())
                    source = upload.name
                except essays.EssayError as exc:
                    form.add_error("upload", str(exc))
                    continue
                # Show the extracted text in the box, so a second submit keeps it.
                form.data = form.data.copy()
                form.data[f"e{i}-text"] = text
            if prompt is None:
                if text.strip():
                    form.add_error("prompt", "Choose the prompt this essay answers.")
                    # Its length is judged now too, not in a second round once a prompt is chosen.
                    problems += essays.check_unprompted(i + 1, text)
                continue
            drafts.append(essays.Draft(prompt=prompt, text=text, source_name=source))
        # Every problem at once: the fields' own and the set's (count, prompts, lengths).
        unprompted = sum(1 for f in forms if "prompt" in f.errors)
        problems += essays.check_drafts(drafts, unprompted=unprompted)
        if (problems or any(f.errors for f in forms)) and (closed := essays.closed_to(request.user)):
            problems.append(closed)
        if all(not f.errors for f in forms) and not problems:
            try:
                submission = essays.submit_essays(request.user, drafts)
            except essays.EssayError:
                problems = essays.check_drafts(drafts)
            except essays.TaskClosed as exc:
                problems = [str(exc)]
            else:
                messages.success(request, f"Version {submission.version} submitted"
                                          f"{' (after the deadline: marked late)' if submission.late else ''}. "
                                          "Your TA will review it.")
                return redirect("essays")
        # Refused: what the student typed (and the text of any file read) is their draft now,
        # so leaving this page and coming back shows it all again.
        draft = essays.save_typed(request.user, {f"e{i}-{name}": form.data.get(f"e{i}-{name}", "")
                                                 for i, form in enumerate(forms) for name in ("prompt", "text")})
    else:
        draft = restored = essays.typed_draft(request.user, latest)
        if restored is not None:
            initial = [{"prompt": restored.fields.get(f"e{i}-prompt") or None, "text": restored.fields.get(f"e{i}-text", "")}
                       for i in range(SLOTS)]
        else:
            initial = [{"prompt": e.prompt, "text": e.text} for e in latest.essays.all()] if latest else []
        forms = [EssaySlotForm(prefix=f"e{i}", initial=initial[i] if i < len(initial) else None) for i in range(SLOTS)]
    counts = [essays.Draft(prompt=d.prompt, text=d.text).words for d in drafts] if drafts else []
    return render(request, "coursework/essays.html", {
        "forms": forms, "prompts": prompts, "problems": problems, "counts": counts,
        "required": essays.REQUIRED_WORDS, "latest": publishing.seen_by(latest, request.user),
        "versions": [publishing.seen_by(v, request.user) for v in EssaySubmission.objects.filter(student=request.user)],
        "terms": deadlines.terms_for(request.user, Assignment.objects.the(Assignment.ESSAYS)),
        "result": results.for_item(latest, viewer=request.user), "restored_draft": restored,
        # What the server holds, so the page can tell a newer copy kept in the browser.
        "saved_at": draft.saved_at if draft else (latest.submitted_at if latest else None),
    })


@login_required
@require_POST
def save_draft(request):
    """Called by the page as the student types (debounced): keep the prompts and texts."""
    draft = essays.save_typed(request.user, request.POST.dict())
    if draft is None:
        return JsonResponse({"saved": False, "error": "There is no essay task to save a draft for."})
    return JsonResponse({"saved": True, "saved_at": draft.saved_at.isoformat(),
                         "saved_label": deadlines.describe_clock(draft.saved_at)})


@login_required
@require_POST
@limit_upload_size(lambda: essays.MAX_ESSAY_UPLOAD_BYTES)
def count_upload(request):
    """The meaningful words of an essay file chosen but not yet submitted, counted by the
    same extractor and counter the submission uses; nothing is stored. A file that cannot be
    counted is an answer too ({"error": why}), which the page shows beside the file."""
    upload = request.FILES.get("upload")
    oversized = getattr(request, "oversized_uploads", {})
    if "upload" in oversized:
        return JsonResponse({"error": f"{oversized['upload']} is larger than "
                                      f"{essays.MAX_ESSAY_UPLOAD_BYTES // 1_000_000} MB, the limit for an essay file."})
    if upload is None:
        return JsonResponse({"error": "Choose a file to count."})
    try:
        text = essays.extract_text(upload.name, upload.read())
    except essays.EssayError as exc:
        return JsonResponse({"error": str(exc)})
    prompt = _chosen_prompt(request)
    return JsonResponse({"words": essays.meaningful_word_count(text, prompt.text if prompt else ""),
                         "required": essays.REQUIRED_WORDS})


def _chosen_prompt(request):
    """The prompt the page says is chosen, or None: the field is the browser's to send, so
    anything but a prompt's id ("abc", "1e9", nothing) means none, never an error."""
    value = request.POST.get("prompt", "")
    return EssayPrompt.objects.filter(pk=int(value)).first() if value.isdigit() and len(value) < 12 else None


@login_required
@require_POST
def preview(request):
    """Markdown preview and live word count for one essay box."""
    text = request.POST.get("text", "")[:60000]
    prompt = _chosen_prompt(request)
    return JsonResponse({
        "html": render_markdown(text),
        "words": essays.meaningful_word_count(text, prompt.text if prompt else ""),
        "required": essays.REQUIRED_WORDS,
    })
