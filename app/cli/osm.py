"""`flask osm import FILE`: bring OpenStreetMap places into StepFree, keeping local knowledge."""

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from app.cli import in_default_locale
from app.db import get_session
from app.services import osm_reader
from app.services.osm_import import ImportSummary, import_records
from app.services.osm_reader import OsmFileError, check_readable, count_candidates, file_bbox, read_places

osm_cli = AppGroup("osm", help="Import places from OpenStreetMap.")


@osm_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--mark-gone", is_flag=True, default=False,
              help="The file is a complete extract of the area StepFree covers: mark imported places it no "
                   "longer contains as gone (only inside the bounding box its header declares, if any). Places "
                   "with local changes are never marked gone: a correction goes to the moderation queue.")
@in_default_locale
def import_command(file: str, mark_gone: bool) -> None:
    """Import the places of an .osm.pbf or .osm FILE (all or nothing, in one transaction)."""
    session = get_session()

    def run() -> ImportSummary:
        path = check_readable(file)
        bbox = file_bbox(path)
        with click.progressbar(length=count_candidates(path), label=_("Importing %(file)s", file=path.name),
                               show_pos=True, show_percent=True) as bar:
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
    rows = [(_("created"), summary.created), (_("updated from OSM"), summary.updated),
            (_("unchanged"), summary.unchanged), (_("conflicts sent to moderators"), summary.conflicts),
            (_("older conflicts superseded"), summary.superseded), (_("marked gone"), summary.gone),
            (_("gone from OSM, kept (local changes)"), summary.gone_kept_local)]
    if not mark_gone:
        rows.append((_("imported earlier, not in this file (see --mark-gone)"), summary.not_in_file))
    lines = [ngettext("Imported %(num)s place from %(source)s. Data © OpenStreetMap contributors, ODbL 1.0.",
                      "Imported %(num)s places from %(source)s. Data © OpenStreetMap contributors, ODbL 1.0.",
                      summary.places, source=summary.source), ""]
    skip_words = _skip_reasons()
    lines += _table(_("places"), rows)
    lines += _table(_("skipped"), [(skip_words.get(reason, reason), n)
                                   for reason, n in sorted(summary.skipped.items(), key=lambda kv: -kv[1])])
    # Tags, OSM values and the importer's notes on them are OpenStreetMap's words: only the titles translate.
    lines += _table(_("tags without a StepFree category"), summary.unmapped_tags.most_common(10))
    lines += _table(_("values mapped or not understood"), summary.value_notes.most_common(10))
    lines += _table(_("by wheelchair status in OSM"), sorted(summary.by_status.items()))
    return "\n".join(lines)


def _skip_reasons() -> dict[str, str]:
    """The importer's reasons for skipping an object (app/services/osm_reader.py), in words for this language;
    a reason not listed here is shown as the importer says it."""
    return {osm_reader.NO_NAME: _("no name"),
            osm_reader.UNMAPPED: _("no StepFree category for its tags"),
            osm_reader.OPEN_WAY: _("way is not closed"),
            osm_reader.MISSING_NODES: _("way has nodes missing from the file"),
            osm_reader.INVALID_LOCATION: _("node has no valid location"),
            osm_reader.INVALID_AREA: _("area geometry is invalid"),
            osm_reader.NOT_AN_AREA: _("relation is not a multipolygon"),
            osm_reader.DUPLICATE: _("object appears twice in the file")}


def _table(title: str, rows) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    width = max(len(str(label)) for label, _ in rows)
    return [title] + [f"  {str(label).ljust(width)}  {count:>7}" for label, count in rows] + [""]


def register(app: Flask) -> None:
    app.cli.add_command(osm_cli)
