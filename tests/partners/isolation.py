def samples(program):
    return {"partners:detail": {"partner_id": program.partner.pk}}
