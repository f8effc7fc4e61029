"""Personal data as shown to whoever may not see it in full (contract §3): a target's phone and
address for everyone but the committee and the owning unit, and every person's name for ops, who
"read everything, personal data masked"."""


def mask_phone(number):
    """`13912345678` -> `139****5678`: enough to tell two numbers apart, not to call one."""
    return f"{number[:3]}****{number[-4:]}"


def mask_name(person):
    """`张大爷` -> `张**`: the family name only."""
    return person[:1] + "*" * max(len(person) - 1, 1)
