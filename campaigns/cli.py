"""`flask scheduler run`: the scheduler process (registered as an entry point; webapp never imports it)."""

import click


@click.group("scheduler")
def scheduler_cli() -> None:
    """The scheduler process."""
