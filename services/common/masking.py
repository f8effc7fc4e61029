"""Personal data as shown to whoever may not see it in full (contract §3): a target's phone and
address for everyone but the committee and the owning unit, and every person's name (and a unit
contact's phone and e-mail address) for ops, who "read everything, personal data masked"."""


def mask_phone(number):
    """`13912345678` -> `139****5678`: enough to tell two numbers apart, not to call one."""
    return f"{number[:3]}****{number[-4:]}"


def mask_email(address):
    """`wang.li@example.org` -> `w***@example.org`: the domain says which office, not whose mailbox."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(person):
    """`张大爷` -> `张**`: the family name only."""
    return person[:1] + "*" * max(len(person) - 1, 1)
