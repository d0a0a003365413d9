"""The e-mails a stack sent, read back from Django's file backend (EMAIL_FILE_PATH)."""
from email import message_from_bytes, policy


def emails(directory) -> list:
    if not directory.exists():
        return []
    out = []
    for path in sorted(directory.glob("*.log")):
        # The file backend writes each message followed by a line of dashes.
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                out.append(message_from_bytes(chunk.strip(), policy=policy.default))
    return out
