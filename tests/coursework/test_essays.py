import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursework.extract import read_document
from grader import confined

from coursework.models import EssayPrompt, EssaySubmission
from coursework.services import essays
from coursework.services.content import load_content
from tests.factories import make_student
from tests.support.essays import ESSAY, post_essays
from tests.support.documents import (W, deeply_nested_docx, docx_bytes, docx_with_document_xml, pdf_bytes,
                                      shared_stream_pdf, zip_bomb_docx)



def test_meaningful_words_count_little_words_within_their_share_and_leave_out_filler_repeats_and_the_prompt():
    assert essays.meaningful_word_count("The cat and the dog.") == 5
    assert essays.meaningful_word_count("of the and to in it is on at by cat") == 2  # one word, 1.5 little ones
    assert essays.meaningful_word_count("basically um like stuff things") == 0
    assert essays.meaningful_word_count("great " * 50) == 1  # a word repeated in a row counts once
    assert essays.meaningful_word_count("Networks learn. " * 30) == 2  # a pasted sentence counts once
    prompt = "How are ANNs inspired by the structure and function of neurons in the brain?"
    assert essays.meaningful_word_count(prompt + " Dendrites matter.", prompt) == 2
    assert essays.meaningful_word_count(ESSAY) == 480


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


def test_a_short_essay_says_which_and_by_how_much_and_nothing_is_stored(client, student, prompts):
    page = post_essays(client, prompts[:3], [ESSAY, ESSAY, "Too short, only a few meaningful words."]).content.decode()
    assert f"The essay on prompt {prompts[2].order}" in page and "more are needed" in page
    assert not EssaySubmission.objects.exists()
    assert "Too short, only a few meaningful words." in page  # the text stays in the box


def test_every_problem_is_reported_in_one_round(client, student, prompts):
    """A missing prompt, a short essay elsewhere and a short essay without a prompt: all at once."""
    data = {"e0-prompt": prompts[0].pk, "e0-text": ESSAY,
            "e1-prompt": "", "e1-text": "Neurons fire. Networks learn.",
            "e2-prompt": prompts[2].pk, "e2-text": "Too short as well."}
    page = client.post("/essays/", data).content.decode()
    assert "Choose the prompt this essay answers." in page
    assert "Essay 2 has 4 meaningful words: 196 more are needed." in page
    assert f"The essay on prompt {prompts[2].order}" in page
    assert "Choose exactly" not in page  # the missing prompt is named at its field, not counted again
    assert not EssaySubmission.objects.exists()


def test_an_essay_files_words_are_counted_before_submitting(client, student, prompts):
    counted = client.post("/essays/count/", {"upload": SimpleUploadedFile("mine.docx", docx_bytes(ESSAY)),
                                             "prompt": prompts[0].pk}).json()
    assert counted == {"words": essays.Draft(prompt=prompts[0], text=ESSAY).words, "required": essays.REQUIRED_WORDS}
    refused = client.post("/essays/count/", {"upload": SimpleUploadedFile("mine.exe", b"MZ")})
    assert "upload a .txt, .md, .docx or .pdf file" in refused.json()["error"]
    assert not EssaySubmission.objects.exists()  # nothing is stored


def test_each_prompt_is_shown_whole_and_numbered(client, student, prompts):
    longest = max(prompts, key=lambda p: len(p.text))
    page = client.get("/essays/").content.decode()
    assert f'<li value="{longest.order}">{longest.text}</li>' in page
    assert f">{longest.order}. {longest.text}</option>" in page


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


def test_a_pdf_whose_pages_share_one_huge_stream_is_refused_as_too_slow_to_read():
    with pytest.raises(essays.EssayError, match=r"^slow\.pdf took too long to read: it may be built to be slow to open; "
                                                r"export it again or upload a \.docx\.$"):
        essays.extract_text("slow.pdf", shared_stream_pdf())


def test_a_zip_bomb_docx_is_refused_from_its_zip_directory_before_anything_is_unpacked():
    with pytest.raises(essays.EssayError, match=r"bomb\.docx has 21 MB of text markup; at most 10 MB can be read"):
        essays.extract_text("bomb.docx", zip_bomb_docx())


def test_a_docx_part_compressed_like_a_zip_bomb_is_refused_even_when_small_enough():
    zeros = docx_with_document_xml(b"<w:document " + W + b"><w:body><w:p/>" + b" " * 5_000_000 + b"</w:body></w:document>")
    with pytest.raises(essays.EssayError, match=r"has a part \(word/document\.xml\) compressed [\d,]+ to 1; more than "
                                                r"100 to 1 is the mark of a file built to blow up"):
        essays.extract_text("zeros.docx", zeros)


def test_a_docx_of_thousands_of_files_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(1_500):
            archive.writestr(f"word/media/{i}.xml", b"")
    with pytest.raises(essays.EssayError, match=r"many\.docx holds 1,500 files; a Word document holds a few dozen"):
        essays.extract_text("many.docx", buffer.getvalue())


def test_a_docx_nested_deeper_than_word_ever_nests_is_refused():
    with pytest.raises(essays.EssayError, match=r"deep\.docx is nested more deeply than a Word document ever is"):
        essays.extract_text("deep.docx", deeply_nested_docx())


def test_a_document_that_needs_more_memory_than_its_reader_may_use_is_refused():
    # The archive check lets 5 MB of XML through; a 96 MB reader cannot parse it.
    xml = b"<w:document " + W + b"><w:body>" + b"<w:p><w:r><w:t>word</w:t></w:r></w:p>" * 130_000 + b"</w:body></w:document>"
    data = docx_with_document_xml(xml, compression=zipfile.ZIP_STORED)
    with pytest.raises(confined.Refused, match=r"big\.docx needs too much memory to read: it may be built to grow huge"):
        read_document("big.docx", "docx", data, confined.Limits(wall_seconds=30, cpu_seconds=20,
                                                                memory_bytes=96 * 1024 * 1024), 60_000)


def test_an_upload_with_more_text_than_the_text_box_takes_is_refused_with_its_length():
    text = ("Words of an essay. " * 4_000).strip()
    for name, data in [("long.txt", text.encode()), ("long.docx", docx_bytes(text))]:
        with pytest.raises(essays.EssayError, match=rf"{name.replace('.', '[.]')} has 75,999 characters of text; an essay "
                                                    "may have at most 60,000"):
            essays.extract_text(name, data)


def test_a_long_file_in_a_legacy_encoding_is_read_from_a_sampled_guess():
    text = "Réseaux neuronaux, façon cerveau: l'été des poids.\n" * 1_100  # longer than the sample
    assert essays.extract_text("e.txt", text.encode("latin-1")) == text


def test_a_file_that_starts_with_a_byte_order_mark_but_is_not_that_encoding_is_refused():
    with pytest.raises(essays.EssayError, match="starts like UTF-8-SIG text but is not"):
        essays.extract_text("e.txt", b"\xef\xbb\xbfok \xff\xfe\xfa")


@pytest.mark.parametrize("attack", ["a'" * 30_000, ". " * 30_000, " " * 59_999 + ".", "é’a" * 20_000, "\n" * 60_000])
def test_meaningful_word_count_is_linear_on_pathological_text(attack):
    # Each of these is a regex backtracking shape; doubling the text must not change the answer's kind.
    assert essays.meaningful_word_count(attack) == essays.meaningful_word_count(attack * 2) or attack.strip(" .\n") == ""


@pytest.mark.parametrize("prompt", ["abc", "1e9", "99999999999999999999", "-1", ""])
def test_a_prompt_field_that_is_not_a_prompts_id_is_no_prompt_not_an_error(client, student, prompts, prompt):
    client.force_login(student)
    preview = client.post("/essays/preview/", {"text": ESSAY, "prompt": prompt})
    counted = client.post("/essays/count/", {"upload": SimpleUploadedFile("mine.txt", ESSAY.encode()),
                                             "prompt": prompt})
    assert preview.status_code == 200 and counted.status_code == 200
    assert counted.json()["words"] == essays.meaningful_word_count(ESSAY)


PARAGRAPHS = ["Artificial neurons borrow a loose idea from biology: weighted inputs, a sum and a threshold. "
              "The comparison helps at first and misleads later, because real neurons spike in time.",
              "Training is the second half of the story. Gradient descent nudges every weight a little "
              "against the slope of the cost, thousands of times, until the outputs are close to the labels.",
              "So the analogy explains where the idea came from, while the maths explains why it works."]


@pytest.mark.parametrize("layout", [
    {},  # single spacing with space after each paragraph, as a word processor exports it
    {"leading": 22, "paragraph_gap": 0, "indent": 20},  # double spacing, paragraphs marked only by an indent
    {"paragraph_gap": 0, "indent": 20},  # single spacing, indented first lines
    {"leading": 22, "paragraph_gap": 11},  # double spacing and a gap
    {"width": 60},  # narrower lines
])
def test_a_pdf_essay_keeps_its_title_and_paragraphs_apart(layout):
    data = pdf_bytes("\n\n".join(PARAGRAPHS), title="Neurons, real and artificial", **layout)
    text = essays.extract_text("essay.pdf", data)
    assert text.split("\n\n") == ["Neurons, real and artificial"] + PARAGRAPHS


def test_a_pdf_essay_over_several_pages_keeps_every_word_in_order():
    long = "\n\n".join(PARAGRAPHS * 12)
    data = pdf_bytes(long, title="Long")
    text = essays.extract_text("essay.pdf", data)
    assert text.split() == ("Long " + long).split()
    assert text.count("\n\n") >= len(PARAGRAPHS) * 12


def test_a_word_broken_at_a_pdf_lines_end_is_joined_again():
    from coursework.extract import paragraphs

    assert paragraphs(["A network learns by back-\npropagation of its errors, layer by layer, until it is done."]) == (
        "A network learns by back-propagation of its errors, layer by layer, until it is done.")


def test_each_item_of_a_list_in_a_pdf_is_a_paragraph_of_its_own():
    from coursework.extract import paragraphs

    page = ("Three reasons deep learning took off after the ImageNet challenge of that year were these:\n"
            "1. Data: more than a million labelled pictures in a thousand classes, far more than before\n"
            "   and enough for networks with millions of weights, which smaller sets let them memorise.\n"
            "2. Hardware: graphics cards doing thousands of multiplications at once, in parallel, fast\n"
            "   enough to train a deep network in a week rather than in several months on processors.\n"
            "- Tricks: ReLU, dropout and careful initialisation made deep networks trainable at all.")
    assert [p[:3] for p in paragraphs([page]).split("\n\n")] == ["Thr", "1. ", "2. ", "- T"]


@pytest.mark.django_db
def test_an_oversized_essay_file_loses_none_of_the_other_essays_text(client, settings, tmp_path):
    # A file past the limit used to stop the whole form's parse: the essays typed after it
    # came back empty, and the empty form was saved as the student's draft.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from coursework.models import EssayPrompt
    from coursework.services import essays as essay_service
    from tests.factories import make_course, make_profile, make_student

    settings.MEDIA_ROOT = tmp_path
    make_course()
    student = make_student("s1")
    make_profile(student)
    client.force_login(student)
    prompts = list(EssayPrompt.objects.all())
    page = client.post("/essays/", {
        "e0-prompt": prompts[0].pk, "e0-text": "", "e0-upload": SimpleUploadedFile("big.txt", b"a" * (6 * 1024 * 1024)),
        "e1-prompt": prompts[1].pk, "e1-text": "ESSAY TWO " * 50,
        "e2-prompt": prompts[2].pk, "e2-text": "ESSAY THREE " * 50}).content.decode()
    assert "big.txt" in page and "ESSAY TWO" in page and "ESSAY THREE" in page
    draft = essay_service.typed_draft(student, None)
    assert draft.fields["e1-text"].startswith("ESSAY TWO") and draft.fields["e2-text"].startswith("ESSAY THREE")
