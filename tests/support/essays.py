"""An essay that passes the word count, and posting three essays as the essays page does."""
from coursework.services import essays

_VOCABULARY = [w for w in (a + b + c for a in "bdfgklmnprst" for b in "aeiou" for c in "bdfgklmnprst")
               if w not in essays.STOP_WORDS | essays.FILLER]
# 30 sentences of 8 distinct made-up words and 8 little words: 480 meaningful words.
ESSAY = " ".join("The " + " and ".join(_VOCABULARY[8 * s: 8 * s + 8]) + "." for s in range(30))


def post_essays(client, prompts, texts, files=None):
    data = {}
    for i, (prompt, text) in enumerate(zip(prompts, texts)):
        data[f"e{i}-prompt"] = prompt.pk
        data[f"e{i}-text"] = text
    for i, upload in (files or {}).items():
        data[f"e{i}-upload"] = upload
    return client.post("/essays/", data)
