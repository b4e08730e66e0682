def samples(program):
    pk = program.partner.pk
    return {
        "partners:detail": {"partner_id": pk},
        "partners:suspend": {"partner_id": pk},
        "partners:reactivate": {"partner_id": pk},
        "partners:edit": {"partner_id": pk},
    }
