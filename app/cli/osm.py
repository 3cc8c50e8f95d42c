"""`flask osm import FILE`: bring OpenStreetMap places into StepFree, keeping local knowledge."""

import click
from flask import Flask
from flask.cli import AppGroup

from app.db import get_session
from app.services.osm_import import ImportSummary, import_records
from app.services.osm_reader import OsmFileError, check_readable, count_candidates, file_bbox, read_places

osm_cli = AppGroup("osm", help="Import places from OpenStreetMap.")


@osm_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--mark-gone", is_flag=True, default=False,
              help="The file is a complete extract of the area StepFree covers: mark imported places it no "
                   "longer contains as gone (only inside the bounding box its header declares, if any). Places "
                   "with local changes are never marked gone: a correction goes to the moderation queue.")
def import_command(file: str, mark_gone: bool) -> None:
    """Import the places of an .osm.pbf or .osm FILE (all or nothing, in one transaction)."""
    session = get_session()

    def run() -> ImportSummary:
        path = check_readable(file)
        bbox = file_bbox(path)
        with click.progressbar(length=count_candidates(path), label=f"Importing {path.name}", show_pos=True,
                               show_percent=True) as bar:
            return import_records(session, read_places(path, progress=bar.update), source=path.name,
                                  bbox=bbox, mark_gone=mark_gone)

    click.echo(format_summary(committed_import(session, run), mark_gone))


def committed_import(session, run) -> ImportSummary:
    """Run an import and commit it whole; on any failure roll it all back (a bad file says what is wrong)."""
    try:
        summary = run()
    except OsmFileError as error:
        session.rollback()
        raise click.ClickException(error.message) from None
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return summary


def format_summary(summary: ImportSummary, mark_gone: bool) -> str:
    """The end-of-import table: what happened to each object, what was skipped and why."""
    rows = [("created", summary.created), ("updated from OSM", summary.updated), ("unchanged", summary.unchanged),
            ("conflicts sent to moderators", summary.conflicts), ("older conflicts superseded", summary.superseded),
            ("marked gone", summary.gone), ("gone from OSM, kept (local changes)", summary.gone_kept_local)]
    if not mark_gone:
        rows.append(("imported earlier, not in this file (see --mark-gone)", summary.not_in_file))
    lines = [f"Imported {summary.places} places from {summary.source}. "
             "Data © OpenStreetMap contributors, ODbL 1.0.", ""]
    lines += _table("places", rows)
    lines += _table("skipped", sorted(summary.skipped.items(), key=lambda kv: -kv[1]))
    lines += _table("tags without a StepFree category", summary.unmapped_tags.most_common(10))
    lines += _table("values mapped or not understood", summary.value_notes.most_common(10))
    lines += _table("by wheelchair status in OSM", sorted(summary.by_status.items()))
    return "\n".join(lines)


def _table(title: str, rows) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    width = max(len(str(label)) for label, _ in rows)
    return [title] + [f"  {str(label).ljust(width)}  {count:>7}" for label, count in rows] + [""]


def register(app: Flask) -> None:
    app.cli.add_command(osm_cli)
