# Optional (see above). Defining hand_in hands nothing in.
def hand_in(site, token=None, path=None):
    import json
    import os
    import urllib.error
    import urllib.request
    import uuid

    token = token or os.environ.get("COURSEWORK_TOKEN")
    if not token:
        try:
            from google.colab import userdata

            token = userdata.get("COURSEWORK_TOKEN")
        except Exception:
            pass
    if not token:
        print("No upload token: make one on your settings page.")
        return None
    try:
        from google.colab import _message

        data, name = json.dumps(_message.blocking_request("get_ipynb", timeout_sec=60)["ipynb"]).encode(), "colab.ipynb"
    except ImportError:
        path = path or os.environ.get("JPY_SESSION_NAME") or globals().get("__vsc_ipynb_file__")
        if not path or not os.path.isfile(path):
            print("Save it, then name the file: hand_in(site, token, path=...).")
            return None
        with open(path, "rb") as fh:
            data, name = fh.read(), os.path.basename(path)
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="notebook"; filename="{name}"\r\n'
            "Content-Type: application/x-ipynb+json\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        site.rstrip("/") + "/api/assignments/mnist/notebooks/", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as refused:
        try:
            answer = json.load(refused)
        except ValueError:
            answer = {"error": f"{refused.code} {refused.reason}"}
    except OSError as error:
        print(f"Could not reach {site}: {error}")
        return None
    if "url" in answer:
        print(f"Handed in as upload {answer['number']}: {answer['url']}")
    else:
        print("Not handed in:", answer.get("error"))
    return answer
