"""Message marking without Flask: services raise English msgids that the web layer translates."""


def N_(message: str) -> str:
    """Mark a message for extraction (babel keyword N_); it is translated where it is shown."""
    return message
