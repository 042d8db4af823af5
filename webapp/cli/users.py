"""`flask users create`: staff (and resident) accounts made by an operator."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from models import Role

from ..services import accounts
from ..services import merchants as merchants_service
from .common import transaction


@click.group("users")
def users_cli() -> None:
    """Manage accounts."""


@users_cli.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--login", required=True, help="Mobile phone number or e-mail.")
@click.option("--password", required=True)
@click.option("--nickname", default=None)
@click.option("--district", default=None, help="District code (required for residents).")
@click.option("--merchant", default=None, help="Attach a merchant-staff account to this merchant.")
@with_appcontext
def create(
    role: str, login: str, password: str, nickname: str | None, district: str | None, merchant: str | None
) -> None:
    """Create an account."""
    if merchant and role != Role.MERCHANT.value:
        raise click.ClickException("--merchant is only for --role merchant")
    with transaction() as session:
        user = accounts.create_user(
            session,
            None,
            role=Role(role),
            login=login,
            password=password,
            nickname=nickname,
            district=district,
        )
        if merchant:
            shop = merchants_service.ensure_by_name(session, merchant, district)
            merchants_service.attach_staff(session, None, user, shop)
            click.echo(f"attached to merchant #{shop.id} {shop.name} ({shop.status})")
        click.echo(f"created {role} #{user.id} {login}")
