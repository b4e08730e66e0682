def samples(program):
    return {"partners:detail": {"pk": program.partner.pk}}
