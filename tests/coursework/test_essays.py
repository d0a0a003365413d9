import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursework.models import EssayPrompt, EssaySubmission
from coursework.services import essays
from coursework.services.content import load_content
from tests.factories import make_student
from tests.support.documents import docx_bytes, pdf_bytes

_VOCABULARY = [w for w in (a + b + c for a in "bdfgklmnprst" for b in "aeiou" for c in "bdfgklmnprst")
               if w not in essays.STOP_WORDS | essays.FILLER]
# 30 sentences of 8 distinct made-up words (plus stop words): 240 meaningful words.
ESSAY = " ".join("The " + " and ".join(_VOCABULARY[8 * s: 8 * s + 8]) + "." for s in range(30))


def test_meaningful_words_leave_out_stop_words_filler_repeats_and_the_prompt():
    assert essays.meaningful_word_count("The cat and the dog.") == 2
    assert essays.meaningful_word_count("basically um like stuff things") == 0
    assert essays.meaningful_word_count("great " * 50) == 1  # a word repeated in a row counts once
    assert essays.meaningful_word_count("Networks learn. " * 30) == 2  # a pasted sentence counts once
    prompt = "How are ANNs inspired by the structure and function of neurons in the brain?"
    assert essays.meaningful_word_count(prompt + " Dendrites matter.", prompt) == 2
    assert essays.meaningful_word_count(ESSAY) == 240


def test_text_comes_out_of_docx_pdf_and_odd_encodings():
    assert "layered" in essays.extract_text("essay.docx", docx_bytes("Deep layered networks."))
    assert "layered networks" in essays.extract_text("essay.pdf", pdf_bytes("Deep layered networks learn features."))
    assert essays.extract_text("e.txt", "Réseaux neuronaux, façon cerveau.".encode("latin-1")).startswith("Réseaux")
    assert essays.extract_text("e.txt", "Ünïcode in UTF-16".encode("utf-16")) == "Ünïcode in UTF-16"
    assert essays.extract_text("e.md", "\ufeffBOM first".encode("utf-8")) == "BOM first"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("essay.docx", b"PK\x03\x04" + b"\x00garbage" * 50, "could not be read as a Word document"),
        ("essay.pdf", b"%PDF-1.4\n" + b"garbage" * 50, "could not be read as a PDF"),
        ("essay.docx", pdf_bytes("hello there"), "is not a Word document (it looks like a PDF)"),
        ("essay.pdf", docx_bytes("hello"), "is not a PDF (it looks like a Word or other ZIP document)"),
        ("essay.txt", pdf_bytes("hello"), "is not a text file (it looks like a PDF)"),
        ("essay.exe", b"MZ", "upload a .txt, .md, .docx or .pdf"),
        ("essay.txt", b"\x00\x01\x02\x03" * 100, "does not look like text"),
        ("essay.txt", b"   ", "is empty"),
        ("../../etc/essay.txt", b"x" * (6 * 1024 * 1024), "essay.txt is 6.3 MB"),
    ],
)
def test_bad_files_are_refused_with_a_specific_message(name, data, message):
    with pytest.raises(essays.EssayError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        essays.extract_text(name, data)


@pytest.fixture
def prompts(db):
    load_content()
    return list(EssayPrompt.objects.all())


@pytest.fixture
def student(client, db):
    user = make_student()
    client.force_login(user)
    return user


def post_essays(client, prompts, texts, files=None):
    data = {}
    for i, (prompt, text) in enumerate(zip(prompts, texts)):
        data[f"e{i}-prompt"] = prompt.pk
        data[f"e{i}-text"] = text
    for i, upload in (files or {}).items():
        data[f"e{i}-upload"] = upload
    return client.post("/essays/", data)


def test_a_short_essay_says_which_and_by_how_much_and_nothing_is_stored(client, student, prompts):
    page = post_essays(client, prompts[:3], [ESSAY, ESSAY, "Too short, only a few meaningful words."]).content.decode()
    assert f"The essay on prompt {prompts[2].order}" in page and "more are needed" in page
    assert not EssaySubmission.objects.exists()
    assert "Too short, only a few meaningful words." in page  # the text stays in the box


def test_three_long_essays_are_submitted_and_each_resubmission_is_a_new_version(client, student, prompts):
    post_essays(client, prompts[:3], [ESSAY] * 3)
    post_essays(client, prompts[1:4], [ESSAY + " Revised."] * 3)
    versions = list(EssaySubmission.objects.filter(student=student).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].essays.count() == 3 and versions[1].essays.first().text.endswith("Revised.")


def test_uploaded_files_fill_their_essays(client, student, prompts):
    files = {0: SimpleUploadedFile("../../mine.docx", docx_bytes(ESSAY)), 1: SimpleUploadedFile("b.pdf", pdf_bytes(ESSAY))}
    post_essays(client, prompts[:3], ["", "", ESSAY], files)
    submission = EssaySubmission.objects.get()
    names = sorted(e.source_name for e in submission.essays.all())
    assert names == ["", "b.pdf", "mine.docx"]
    assert all(e.meaningful_words >= 200 for e in submission.essays.all())


def test_a_50_mb_upload_is_refused_beside_its_field(client, student, prompts):
    big = SimpleUploadedFile("huge.pdf", b"%PDF" + b"0" * (50 * 1024 * 1024))
    page = post_essays(client, prompts[:3], [ESSAY] * 3, {0: big}).content.decode()
    assert "huge.pdf is larger than 5 MB" in page
    assert not EssaySubmission.objects.exists()


def test_html_in_an_essay_is_shown_as_text(client, student, prompts):
    script = "<script>alert('xss')</script>"
    post_essays(client, prompts[:3], [ESSAY + script] * 3)
    page = client.get("/essays/").content.decode()
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page and script not in page
    preview = client.post("/essays/preview/", {"text": script + " **bold**"}).json()
    assert "<script" not in preview["html"] and "<strong>bold</strong>" in preview["html"]


def test_choosing_the_same_prompt_twice_is_refused(client, student, prompts):
    page = post_essays(client, [prompts[0]] * 3, [ESSAY] * 3).content.decode()
    assert "Each essay needs a different prompt." in page
