"""`flask osm import FILE`, `flask osm update FILE.osc`, `flask osm replicate SOURCE`: bring OpenStreetMap places
into StepFree and keep them fresh, keeping local knowledge."""

import os
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from app.cli import in_default_locale
from app.db import get_session
from app.queries.osm_upstream import (
    CONFLICT_REASONS,
    offered,
    upstream_items,
    write_maproulette_file,
    write_osmchange_file,
)
from app.services import grid, osm_diff, osm_reader
from app.services.osm_diff import OsmChangeError, apply_change, read_change
from app.services.osm_import import ImportSummary
from app.services.osm_reader import OsmFileError, check_readable
from app.services.osm_replication import AppliedDiff, ReplicationError, replicate
from app.services.osm_upload import (
    OsmApi,
    OsmUploadError,
    UploadResult,
    finish_authorization,
    start_authorization,
    upload,
)

osm_cli = AppGroup("osm", help="Import places from OpenStreetMap and follow its changes.")
node_index_option = click.option(
    "--node-index", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The node location index file diffs need (default: OSM_NODE_INDEX, else osm-nodes.idx in the instance "
         "folder).")


def node_index_path(path: Path | None) -> Path:
    """The node index file: the option, else the OSM_NODE_INDEX setting, else the instance folder's."""
    if path is not None:
        return path
    return Path(current_app.config.get("OSM_NODE_INDEX") or os.path.join(current_app.instance_path, "osm-nodes.idx"))


@osm_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--mark-gone", is_flag=True, default=False,
              help="The file is a complete extract of the area StepFree covers: mark imported places it no "
                   "longer contains as gone (only inside the bounding box its header declares, if any). Places "
                   "with local changes are never marked gone: a correction goes to the moderation queue.")
@node_index_option
@in_default_locale
def import_command(file: str, mark_gone: bool, node_index: Path | None) -> None:
    """Import the places of an .osm.pbf or .osm FILE (all or nothing, in one transaction)."""
    session = get_session()
    pending: list[osm_diff.PendingIndex] = []

    def run() -> ImportSummary:
        path = check_readable(file)
        # Diffs need every node's location (app/services/osm_diff.py): the import's reading pass writes them to
        # the index file, after a quick pass that counts what the progress bar counts.
        index = node_index_path(node_index)
        click.echo(_("Reading %(file)s: node locations to %(path)s", file=path.name, path=str(index)))
        pending.append(osm_diff.new_node_index(session, path, index))
        with click.progressbar(length=pending[-1].candidates, label=_("Importing %(file)s", file=path.name),
                               show_pos=True, show_percent=True) as bar:

            def advance(read: int) -> None:
                # A length taken from the last import is an estimate: the file may have grown since.
                bar.length = max(bar.length, bar.pos + read)
                bar.update(read)

            return osm_diff.import_extract(session, path, pending[-1], mark_gone=mark_gone, progress=advance)

    try:
        summary = committed_import(session, run)
    except BaseException:
        for index in pending:
            index.discard()
        raise
    for index in pending:
        index.install()
    click.echo(format_summary(summary, mark_gone))
    grid.fold(session)  # the import's grid deltas leave the map's reads at once (app/services/grid.py)


@osm_cli.command("update")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@node_index_option
@in_default_locale
def update_command(file: str, node_index: Path | None) -> None:
    """Apply an OpenStreetMap change FILE (.osc or .osc.gz) with the import's merge (all or nothing)."""
    session = get_session()

    def run() -> ImportSummary:
        change = read_change(file)
        click.echo(format_change(change.counts()))
        return apply_change(session, change, node_index_path(node_index), source=Path(file).name)

    click.echo(format_summary(committed_import(session, run), mark_gone=True, verb="applied"))
    grid.fold(session)


@osm_cli.command("replicate")
@click.argument("source")
@click.option("--start-sequence", type=click.IntRange(min=0), default=None,
              help="The replication sequence of the imported extract (the diffs after it are applied). Needed when "
                   "the extract's header names none; later runs continue from the stored sequence.")
@click.option("--max-diffs", type=click.IntRange(min=1), default=None,
              help="Stop after applying this many diffs (the next run continues).")
@node_index_option
@in_default_locale
def replicate_command(source: str, start_sequence: int | None, max_diffs: int | None,
                      node_index: Path | None) -> None:
    """Apply the diffs of a replication SOURCE (a URL or a local directory) since the last one applied.

    Safe from cron: a run exits at once if another holds the lock, and each diff commits with its sequence.
    """
    session = get_session()

    def report(diff: AppliedDiff) -> None:
        click.echo(_("Diff %(sequence)s (data of %(timestamp)s): %(created)s created, %(updated)s updated, "
                     "%(conflicts)s conflicts, %(gone)s gone.", sequence=diff.sequence,
                     timestamp=diff.timestamp.isoformat(), created=diff.summary.created,
                     updated=diff.summary.updated, conflicts=diff.summary.conflicts,
                     gone=diff.summary.gone + diff.summary.gone_kept_local))
        if diff.summary.skipped:
            reasons = _skip_reasons()
            click.echo("  " + ", ".join(f"{reasons.get(reason, reason)}: {n}"
                                        for reason, n in sorted(diff.summary.skipped.items())))

    try:
        applied = replicate(session, source, node_index_path(node_index), start_sequence=start_sequence,
                            max_diffs=max_diffs, on_diff=report)
    except (ReplicationError, OsmChangeError, OsmFileError) as error:
        session.rollback()
        raise click.ClickException(error.message) from None
    grid.fold(session)
    if applied:
        click.echo(ngettext("Applied %(num)s diff; the data is now at sequence %(sequence)s (%(timestamp)s).",
                            "Applied %(num)s diffs; the data is now at sequence %(sequence)s (%(timestamp)s).",
                            len(applied), sequence=applied[-1].sequence,
                            timestamp=applied[-1].timestamp.isoformat()))
    else:
        click.echo(_("Nothing to apply: the data is up to date with %(source)s.", source=source))


@osm_cli.command("changes")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only values decided on or after this date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="The osmChange file to write (.osc).")
@click.option("--maproulette", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Also write the changes as a MapRoulette cooperative challenge of tag fixes (line-by-line "
                   "GeoJSON).")
@in_default_locale
def changes_command(since: datetime | None, output: Path, maproulette: Path | None) -> None:
    """Write the values StepFree's moderators approved for places from OpenStreetMap as an osmChange file, for
    OSM mappers to review and upload (JOSM opens it; osmium apply-changes applies it)."""
    items = upstream_items(get_session(), since=since.replace(tzinfo=UTC) if since else None)
    ready = offered(items)
    with output.open("w", encoding="utf-8") as out:
        written = write_osmchange_file(ready, out)
    click.echo(ngettext("Wrote %(num)d object to %(file)s.", "Wrote %(num)d objects to %(file)s.", written,
                        file=str(output)))
    if maproulette is not None:
        with maproulette.open("w", encoding="utf-8") as out:
            tasks = write_maproulette_file(ready, out)
        click.echo(ngettext("Wrote %(num)d MapRoulette task to %(file)s.", "Wrote %(num)d MapRoulette tasks to "
                            "%(file)s.", tasks, file=str(maproulette)))
    conflicts = [item for item in items if item.conflict is not None]
    if conflicts:
        click.echo(ngettext("%(num)d object was left out as a conflict:",
                            "%(num)d objects were left out as conflicts:", len(conflicts)))
        for item in conflicts:
            click.echo(f"  {item.ref} {item.name or ''}: {_(CONFLICT_REASONS[item.conflict])}")



@osm_cli.command("upload")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only values decided on or after this date (UTC).")
@in_default_locale
def upload_command(since: datetime | None) -> None:
    """Upload the approved values of the upstream queue to OpenStreetMap (OSM_UPLOAD_ENABLED, OSM_OAUTH_TOKEN)."""
    config = current_app.config
    if not config.get("OSM_UPLOAD_ENABLED"):
        raise click.ClickException(_("Uploading to OpenStreetMap is off. Review the queue on /moderate/osm, then "
                                     "set OSM_UPLOAD_ENABLED=true and OSM_OAUTH_TOKEN (an OAuth 2.0 token with "
                                     "the write_api scope); or give the osmChange file to OSM mappers instead "
                                     "(flask osm changes)."))
    if not config.get("OSM_OAUTH_TOKEN"):
        raise click.ClickException(_("OSM_OAUTH_TOKEN is not set: register an OAuth 2.0 application with "
                                     "OpenStreetMap and give StepFree a token with the write_api scope."))
    session = get_session()
    items = upstream_items(session, since=since.replace(tzinfo=UTC) if since else None)
    ready = offered(items)
    api = OsmApi(config["OSM_API_URL"], config["OSM_OAUTH_TOKEN"])

    def report(result: UploadResult) -> None:
        click.echo(_("Changeset %(id)s closed: %(done)s of %(total)s objects uploaded so far.",
                     id=result.changesets[-1], done=len(result.uploaded), total=len(ready)))

    try:
        result = upload(session, ready, api, comment=config["OSM_CHANGESET_COMMENT"],
                        source=config["OSM_CHANGESET_SOURCE"], commit=session.commit, progress=report)
    except OsmUploadError as error:
        session.commit()  # what OSM took before the failure, and the objects to refresh, are kept
        raise click.ClickException(error.message) from None
    click.echo(ngettext("Uploaded %(num)d object to OpenStreetMap.", "Uploaded %(num)d objects to OpenStreetMap.",
                        len(result.uploaded)))
    if result.refreshed:
        click.echo(_("Changed in OpenStreetMap since StepFree read them, so not written and now waiting for a "
                     "refresh: %(objects)s", objects=", ".join(result.refreshed)))
    left_out = [item for item in items if item.conflict is not None]
    if left_out:
        click.echo(ngettext("%(num)d object was left out as a conflict.", "%(num)d objects were left out as "
                            "conflicts.", len(left_out)))


@osm_cli.command("authorize")
@click.option("--client-id", required=True, help="The client id of the OAuth 2.0 application registered with OSM.")
@click.option("--client-secret", default=None, help="Its secret, for a confidential application.")
@in_default_locale
def authorize_command(client_id: str, client_secret: str | None) -> None:
    """Get the OAuth 2.0 access token `flask osm upload` needs (authorization code flow with PKCE)."""
    base = current_app.config["OSM_API_URL"]
    authorization = start_authorization(base, client_id)
    click.echo(_("Open this address, sign in as the account StepFree should upload as, and allow it to modify the "
                 "map:"))
    click.echo(authorization.url)
    code = click.prompt(_("The authorization code OpenStreetMap shows"), type=str)
    try:
        token = finish_authorization(base, client_id, client_secret, authorization, code)
    except OsmUploadError as error:
        raise click.ClickException(error.message) from None
    click.echo(_("Set this in StepFree's environment (keep it secret):"))
    click.echo(f"OSM_OAUTH_TOKEN={token}")

def committed_import(session, run) -> ImportSummary:
    """Run an import or a diff and commit it whole; on any failure roll it all back (a bad file says what is
    wrong)."""
    try:
        summary = run()
    except (OsmFileError, OsmChangeError) as error:
        session.rollback()
        raise click.ClickException(error.message) from None
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return summary


def format_change(counts: dict[str, int]) -> str:
    """What a change file holds, before it is applied."""
    return _("The change holds %(nodes)s nodes, %(ways)s ways and %(relations)s relations (%(deleted)s deleted).",
             **counts)


def format_summary(summary: ImportSummary, mark_gone: bool, verb: str = "imported") -> str:
    """The end-of-import table: what happened to each object, what was skipped and why."""
    rows = [(_("created"), summary.created), (_("updated from OSM"), summary.updated),
            (_("unchanged"), summary.unchanged), (_("conflicts sent to moderators"), summary.conflicts),
            (_("older conflicts superseded"), summary.superseded), (_("marked gone"), summary.gone),
            (_("gone from OSM, kept (local changes)"), summary.gone_kept_local),
            (_("addresses updated from OSM"), summary.addresses_updated),
            (_("possible duplicates of volunteers' places, sent to moderators"), summary.possible_duplicates)]
    if not mark_gone:
        rows.append((_("imported earlier, not in this file (see --mark-gone)"), summary.not_in_file))
    if verb == "applied":
        first = ngettext("Applied %(source)s: %(num)s place changed or checked. Data © OpenStreetMap contributors, "
                         "ODbL 1.0.",
                         "Applied %(source)s: %(num)s places changed or checked. Data © OpenStreetMap contributors, "
                         "ODbL 1.0.", summary.places, source=summary.source)
    else:
        first = ngettext("Imported %(num)s place from %(source)s. Data © OpenStreetMap contributors, ODbL 1.0.",
                         "Imported %(num)s places from %(source)s. Data © OpenStreetMap contributors, ODbL 1.0.",
                         summary.places, source=summary.source)
    lines = [first, ""]
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
            osm_reader.ROUTE: _("route relation, not a place"),
            osm_reader.MISSING_NODES: _("way has nodes missing from the file"),
            osm_reader.INVALID_LOCATION: _("node has no valid location"),
            osm_reader.INVALID_AREA: _("area geometry is invalid"),
            osm_reader.NOT_AN_AREA: _("relation is not a multipolygon"),
            osm_reader.DUPLICATE: _("object appears twice in the file"),
            osm_diff.MISSING_MEMBERS: _("relation has member ways StepFree does not keep")}


def _table(title: str, rows) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    width = max(len(str(label)) for label, _ in rows)
    return [title] + [f"  {str(label).ljust(width)}  {count:>7}" for label, count in rows] + [""]


def register(app: Flask) -> None:
    app.cli.add_command(osm_cli)
