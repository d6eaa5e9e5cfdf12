"""What every city harvester shares: mapping into the city schema, content hash, provenance, NFC,
unknown-value reporting, incremental gather, idempotent import, withdrawal of what is gone.

A harvester subclass only says how to list an agency's datasets (``gather_records``) and turns
each into a neutral ``RemoteDataset``; this module does the rest the same way for all of them:

* gather compares each record's content hash (and, where the source gives one, its remote
  modification time) with the current harvest object of the same guid, so unchanged datasets get
  no harvest object to import: no write, no reindex, no new activity, no ``metadata_modified``
  change. They are recorded in one bulk insert as "not modified" so the job report counts them.
* import writes the dataset under an id derived from (source, remote id), so a re-run after an
  interrupted job finds the dataset it already wrote instead of making a duplicate, and two
  sources can never write to the same dataset.
* a guid gone from a source that answered completely is withdrawn (made private) or deleted, as the
  source's config says; a source that fails or returns garbage changes nothing.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata import net
from ckanext.cityopendata.harvesters import vocabulary
from ckanext.cityopendata.text import nfc_deep, slugify
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestObjectError, HarvestObjectExtra

log = logging.getLogger(__name__)

HASH_KEY = "cityopendata_hash"
MODIFIED_KEY = "cityopendata_remote_modified"
WITHDRAWN = "withdrawn"
ON_MISSING = ("withdraw", "delete", "keep")
# Namespace of the dataset ids we derive from (harvest source id, remote id).
DATASET_NAMESPACE = uuid.UUID("5d1f2a4e-7c1b-4a53-9a57-6f0c1e0d2b31")
_SECRET_KEY = re.compile(r"(token|password|passwd|secret|api[_-]?key|authori[sz]ation)", re.I)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CORE_KEYS = {"name", "title", "notes", "tags", "license_id", "resources", "owner_org", "url"}
CITY_FIELDS = (
    "title_en", "notes_en", "topics", "admin_units", "admin_units_original", "temporal_start",
    "temporal_end", "update_frequency", "contact_name", "contact_email", "legal_basis", "language",
    "original_id", "original_url", "harvested_at",
)
RETRIES = 3


class SourceError(Exception):
    """The source could not be read or made no sense; the message is safe to show."""


@dataclass
class RemoteDataset:
    """One dataset as a source describes it, in neutral terms, before mapping to the city schema.

    ``topics``, ``update_frequency`` and ``license`` are labels or codes as the source writes them;
    ``extra`` holds anything the source gave that the city schema has no field for.
    """

    guid: str
    title: str = ""
    name: str = ""
    title_en: str = ""
    notes: str = ""
    notes_en: str = ""
    tags: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    update_frequency: str = ""
    license: str = ""
    temporal_start: str = ""
    temporal_end: str = ""
    contact_name: str = ""
    contact_email: str = ""
    legal_basis: str = ""
    language: str = ""
    admin_units: list[str] = field(default_factory=list)
    original_url: str = ""
    owner_org: str = ""
    resources: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    remote_modified: str = ""


@dataclass
class Unchanged:
    """A guid the source still lists and which it says has not changed since the last harvest."""

    guid: str
    remote_modified: str = ""


@dataclass
class CurrentState:
    object_id: str
    package_id: Optional[str]
    content_hash: str
    remote_modified: str


# --------------------------------------------------------------------------------------------
# config


def parse_config(config_str: Optional[str]) -> dict[str, Any]:
    if not config_str or not config_str.strip():
        return {}
    try:
        config = json.loads(config_str)
    except ValueError as error:
        raise ValueError(f"the configuration is not valid JSON: {error}") from error
    if not isinstance(config, dict):
        raise ValueError("the configuration must be a JSON object")
    return config


def _check_no_literal_secrets(value: Any, path: str = "") -> None:
    """Credentials are given as ``env:NAME`` (an environment variable of the harvest workers), so
    the source config, which the API and pages show, never holds a secret."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _SECRET_KEY.search(str(key)) and not (isinstance(item, str) and item.startswith("env:")):
                raise ValueError(f"{where}: give credentials as \"env:VARIABLE_NAME\", not in the config")
            _check_no_literal_secrets(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_no_literal_secrets(item, f"{path}[{i}]")


def resolve_secret(value: str) -> str:
    if value.startswith("env:"):
        resolved = os.environ.get(value[4:])
        if resolved is None:
            raise SourceError(f"the environment variable {value[4:]} named in the source config is not set")
        return resolved
    return value


def request_headers(config: dict[str, Any]) -> dict[str, str]:
    return {str(k): resolve_secret(str(v)) for k, v in (config.get("headers") or {}).items()}


# --------------------------------------------------------------------------------------------
# HTTP


def fetch(
    url: str,
    config: dict[str, Any],
    accept: str,
    content_types: Iterable[str] = (),
) -> net.FetchResult:
    """GET through the guarded fetch with retries and backoff on transient failures, and a
    content-type check. Refused addresses, oversize bodies, timeouts (a source too slow once is too
    slow again: retrying would hold the job several timeouts long) and 4xx answers are not retried."""
    policy = net.FetchPolicy.from_config()
    if config.get("timeout"):
        policy.timeout = min(float(config["timeout"]), policy.timeout)
    headers = request_headers(config)
    delay = 0.5
    for attempt in range(RETRIES):
        try:
            result = net.fetch_guarded(url, policy, accept=accept, headers=headers)
            break
        except (net.UnsafeURL, net.TooLarge, net.TimedOut):
            raise
        except net.HTTPStatusError as error:
            if error.status < 500 or attempt == RETRIES - 1:
                raise
        except net.FetchError:
            if attempt == RETRIES - 1:
                raise
        time.sleep(delay)
        delay *= 2
    wanted = [t.lower() for t in content_types]
    got = result.content_type.split(";")[0].strip().lower()
    if wanted and got and not any(got == t or got.endswith("+" + t.split("/")[-1]) for t in wanted):
        raise SourceError(f"{url} answered with content type {got!r}, expected one of {', '.join(wanted)}")
    return result


def fetch_json(url: str, config: dict[str, Any]) -> Any:
    result = fetch(url, config, "application/json", ("application/json", "text/json", "text/plain"))
    try:
        return json.loads(result.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise SourceError(f"{url} did not return valid JSON: {error}") from error


# --------------------------------------------------------------------------------------------
# mapping into the city schema


def _date(value: str, label: str, unknown: list[str]) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if m := _DATE.match(value):
        return f"{m[1]}-{m[2]}-{m[3]}"
    if m := _DMY.match(value):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    if re.fullmatch(r"\d{4}", value):
        return f"{value}-01-01" if label == "temporal_start" else f"{value}-12-31"
    unknown.append(f"{label}: {value!r} is not a date")
    return ""


def map_to_city_schema(remote: RemoteDataset, config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The city-schema fields for one remote dataset, and the values that could not be mapped.

    Text is NFC-normalised here, once, for every harvester. Nothing unmapped is dropped silently:
    each such value is named in the returned list, which goes into the job report.
    """
    remote = RemoteDataset(**nfc_deep(remote.__dict__))
    unknown: list[str] = []
    fields: dict[str, Any] = {"title": remote.title.strip()}
    for key in ("title_en", "notes", "notes_en", "contact_name", "legal_basis"):
        value = str(getattr(remote, key) or "").strip()
        if value:
            fields[key] = value
    if remote.contact_email:
        email = remote.contact_email.strip().removeprefix("mailto:")
        if _EMAIL.match(email):
            fields["contact_email"] = email
        else:
            unknown.append(f"contact_email: {remote.contact_email!r} is not an e-mail address")

    if remote.language:
        languages = [vocabulary.language_code(v) for v in re.split(r"[,;]", remote.language) if v.strip()]
        if all(languages):
            distinct = list(dict.fromkeys(code for code in languages if code))
            fields["language"] = distinct[0] if len(distinct) == 1 else "mul"
        else:
            unknown.append(f"language: {remote.language!r} is not vi or en")
    topic_map = {k: v for k, v in (config.get("topic_mapping") or {}).items()}
    topics: list[str] = []
    for label in remote.topics:
        code = topic_map.get(label) or vocabulary.topic_code(label)
        if code and code not in topics:
            topics.append(code)
        elif not code:
            unknown.append(f"topic: {label!r} matches no topic code")
    for code in config.get("default_topics") or []:
        if code not in topics:
            topics.append(code)
    if topics:
        fields["topics"] = topics

    if remote.update_frequency:
        code = vocabulary.frequency_code(remote.update_frequency)
        if code:
            fields["update_frequency"] = code
        else:
            unknown.append(f"update_frequency: {remote.update_frequency!r} matches no frequency code")
    if remote.license:
        code = vocabulary.license_code(remote.license)
        if code:
            fields["license_id"] = code
        else:
            unknown.append(f"license: {remote.license!r} matches no licence of the portal")
    elif config.get("default_license_id"):
        fields["license_id"] = config["default_license_id"]
    for key in ("temporal_start", "temporal_end"):
        value = _date(getattr(remote, key), key, unknown)
        if value:
            fields[key] = value
    if remote.admin_units:
        fields["admin_units_original"] = [u.strip() for u in remote.admin_units if u.strip()]
    tags = []
    for tag in remote.tags:
        tag = re.sub(r"[^\w \-.]", " ", tag, flags=re.UNICODE).strip()[:100]
        if len(tag) >= 2 and tag not in tags:
            tags.append(tag)
    if tags:
        fields["tags"] = tags
    resources = []
    for resource in remote.resources:
        url = str(resource.get("url") or "").strip()
        if not url:
            unknown.append(f"resource {resource.get('name') or '?'!r} has no URL")
            continue
        if not re.match(r"^https?://", url, re.I):
            unknown.append(f"resource URL {url!r} is not http(s)")
            continue
        entry = {"url": url}
        for key in ("name", "description", "format", "encoding"):
            if resource.get(key):
                entry[key] = str(resource[key]).strip()
        resources.append(entry)
    fields["resources"] = resources
    fields["original_id"] = remote.guid
    if remote.original_url:
        fields["original_url"] = remote.original_url
    fields["name"] = remote.name or slugify(remote.title) or slugify(remote.guid)
    if remote.owner_org:
        fields["owner_org"] = remote.owner_org
    for key, value in sorted(remote.extra.items()):
        if value not in (None, "", [], {}):
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            unknown.append(f"{key}: {shown[:200]!r} has no field in the city schema")
    if not fields["title"]:
        unknown.append("title: missing")
    return fields, unknown


def content_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def dataset_id(source_id: str, guid: str) -> str:
    """The local dataset id of remote ``guid`` harvested by ``source_id``: stable across runs."""
    return str(uuid.uuid5(DATASET_NAMESPACE, f"{source_id}\n{guid}"))


def schema_field_names() -> set[str]:
    """Dataset fields the active scheming schema declares (empty when scheming is not in use)."""
    try:
        from ckanext.scheming.helpers import scheming_get_dataset_schema

        schema = scheming_get_dataset_schema("dataset") or {}
    except Exception:  # scheming not loaded: every city field goes to extras
        return set()
    return {f["field_name"] for f in schema.get("dataset_fields", [])}


def to_package_dict(fields: dict[str, Any], declared: set[str]) -> dict[str, Any]:
    """Core and schema-declared fields at top level, the rest as extras (lists as JSON)."""
    package: dict[str, Any] = {}
    extras = []
    for key, value in fields.items():
        if key == "tags" and "tag_string" in declared:
            package["tag_string"] = ",".join(value)
        elif key == "tags":
            package["tags"] = [{"name": t} for t in value]
        elif key in CORE_KEYS or key in declared:
            package[key] = value
        else:
            extras.append({"key": key, "value": value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)})
    if extras:
        package["extras"] = extras
    return package


# --------------------------------------------------------------------------------------------
# the harvester


class CityHarvester(HarvesterBase):
    """Gather/fetch/import for city sources; subclasses implement ``info`` and ``gather_records``."""

    #: set by the in-process runner, which commits Solr once at the end of the job; the queue
    #: consumers leave it False and each dataset is committed as CKAN does
    defer_index_commit = False
    #: set to a list by the in-process runner: imported datasets wait there and are handed to
    #: validation in batches (``flush_validation``); otherwise each is handed over at once
    validation_batch: Optional[list[str]] = None
    #: extra keys a subclass accepts in its source config, besides the shared ones
    config_keys: tuple[str, ...] = ()
    # publish_policy (publish | review) is read by the publishing workflow for harvested datasets.
    shared_config_keys = ("on_missing", "default_topics", "topic_mapping", "default_license_id",
                          "headers", "timeout", "organization_mapping", "publish_policy")

    # -- to implement -----------------------------------------------------------------------
    def gather_records(
        self, url: str, config: dict[str, Any], known: dict[str, CurrentState]
    ) -> Iterator[RemoteDataset | Unchanged]:
        """Every dataset the source lists now. Raise ``SourceError`` or ``net.FetchError`` when the
        source cannot be read completely: then nothing is withdrawn."""
        raise NotImplementedError

    # -- IHarvester -------------------------------------------------------------------------
    def validate_config(self, config: Optional[str]) -> str:
        parsed = parse_config(config)
        allowed = set(self.shared_config_keys) | set(self.config_keys)
        strange = sorted(set(parsed) - allowed)
        if strange:
            raise ValueError(f"unknown configuration keys: {', '.join(strange)}")
        if parsed.get("on_missing", "withdraw") not in ON_MISSING:
            raise ValueError(f"on_missing must be one of {', '.join(ON_MISSING)}")
        _check_no_literal_secrets(parsed)
        self.check_config(parsed)
        return config or ""

    def check_config(self, config: dict[str, Any]) -> None:
        """Subclasses check their own keys here (raise ValueError)."""

    def get_original_url(self, harvest_object_id: str) -> Optional[str]:
        obj = HarvestObject.get(harvest_object_id)
        if not obj or not obj.content:
            return None
        return json.loads(obj.content).get("fields", {}).get("original_url")

    def gather_stage(self, harvest_job: HarvestJob) -> Optional[list[str]]:
        source = harvest_job.source
        try:
            config = parse_config(source.config)
            known = current_state(source.id)
            records = list(self.gather_records(source.url, config, known))
        except (SourceError, net.FetchError, ValueError) as error:
            self._save_gather_error(tk._("Cannot read the source: {error}").format(error=error), harvest_job)
            return None
        except Exception as error:  # a bug of ours must not leave the job without a word
            log.exception("gather of %s failed", source.url)
            self._save_gather_error(tk._("Unexpected error while reading the source: {error}").format(
                error=type(error).__name__), harvest_job)
            return None
        return self._plan(harvest_job, config, records, known)

    def _plan(
        self, job: HarvestJob, config: dict[str, Any], records: list[RemoteDataset | Unchanged],
        known: dict[str, CurrentState],
    ) -> list[str]:
        now = dt.datetime.utcnow()
        seen: set[str] = set()
        to_import: list[str] = []
        unchanged_rows: list[dict[str, Any]] = []
        for record in records:
            guid = nfc_deep(record.guid)
            if not guid or guid in seen:
                if guid:
                    self._save_gather_error(tk._("The source lists {guid} twice; the first is used").format(guid=guid), job)
                continue
            seen.add(guid)
            state = known.get(guid)
            if isinstance(record, Unchanged):
                if state and state.content_hash != WITHDRAWN:
                    unchanged_rows.append(_unchanged_row(job, guid, state, now))
                    continue
                raise SourceError(f"{guid} reported unchanged without a previous harvest")  # harvester bug
            fields, unknown = map_to_city_schema(record, config)
            digest = content_hash(fields)
            if state and state.content_hash == digest:
                unchanged_rows.append(_unchanged_row(job, guid, state, now))
                continue
            obj = HarvestObject(
                guid=guid, job=job, source=job.source,
                content=json.dumps({"fields": fields, "unknown": unknown, "hash": digest}, ensure_ascii=False),
                extras=[HarvestObjectExtra(key=HASH_KEY, value=digest),
                        HarvestObjectExtra(key=MODIFIED_KEY, value=record.remote_modified or "")],
            )
            model.Session.add(obj)
            model.Session.flush()
            to_import.append(obj.id)
        on_missing = config.get("on_missing", "withdraw")
        if on_missing != "keep":
            for guid, state in known.items():
                if guid in seen or state.content_hash == WITHDRAWN or not state.package_id:
                    continue
                obj = HarvestObject(guid=guid, job=job, source=job.source,
                                    content=json.dumps({"missing": on_missing}))
                model.Session.add(obj)
                model.Session.flush()
                to_import.append(obj.id)
        if unchanged_rows:
            model.Session.execute(sa.insert(HarvestObject.__table__), unchanged_rows)
        model.Session.commit()
        return to_import

    def fetch_stage(self, harvest_object: HarvestObject) -> bool:
        return True  # gather already holds each record's content

    def import_stage(self, harvest_object: HarvestObject) -> bool | str:
        try:
            try:
                return self._import(harvest_object)
            except sa.exc.IntegrityError:
                # Another import process of the same job took this dataset's name a moment ago:
                # once more, now that its row is committed, so the name check sees it.
                model.Session.rollback()
                harvest_object = model.Session.merge(harvest_object)
                return self._import(harvest_object)
        except Exception as error:
            # One failed flush must not poison the next objects: roll back, then record the error.
            model.Session.rollback()
            harvest_object = model.Session.merge(harvest_object)
            if isinstance(error, tk.ValidationError):
                message = tk._("The dataset {guid} is not valid: {errors}").format(
                    guid=harvest_object.guid, errors=_flatten_errors(error.error_dict))
            else:
                log.exception("import of %s failed", harvest_object.guid)
                message = tk._("Cannot import {guid}: {error}").format(guid=harvest_object.guid, error=error)
            harvest_object.current = False
            self._save_object_error(message, harvest_object, "Import")
            return False

    def flush_validation(self) -> None:
        """Hand the datasets imported since the last call to validation."""
        if self.validation_batch:
            hand_to_validation(self.validation_batch)
            self.validation_batch.clear()

    # -- import -----------------------------------------------------------------------------
    def _context(self) -> dict[str, Any]:
        return {"user": self._get_user_name(), "ignore_auth": True}

    def _write(self, action: str, package: dict[str, Any]) -> None:
        """package_create/update without CKAN's per-dataset Solr commit: the dataset is indexed
        here with the commit deferred, and the job commits Solr once at its end (``commit_index``).
        A Solr commit per dataset is most of the stock harvester's time.

        Under our run command (one thread per process) the action's "succeeded" signal is muted
        and the dataset's activity is written here, in the import's own transaction, from the
        dict just built for the index: the activity plugin would otherwise build the same dict
        a third time. (The validation plugin's receiver ignores deferred-commit actions anyway:
        ``hand_to_validation`` runs after the commit.)"""
        from ckan import logic

        own_activity = self.defer_index_commit
        context = dict(self._context(), defer_commit=True, return_id_only=True)
        if own_activity:
            from ckanext.cityopendata.publishing.workflow import DIGEST_KEY

            context[DIGEST_KEY] = True  # the run mails reviewers one digest at its end
        with tk.signals.action_succeeded.muted() if own_activity else contextlib.nullcontext():
            package_id = tk.get_action(action)(context, package)
        both = logic.package_show_default_and_custom_schemas(self._context(), package_id)
        logic.index_update_package_dicts(both, defer_commit=self.defer_index_commit)
        if own_activity:
            record_activity(package_id, "new" if action == "package_create" else "changed", both[1],
                            self._get_user_name())

    def _import(self, obj: HarvestObject) -> bool | str:
        content = json.loads(obj.content or "{}")
        if "missing" in content:
            return self._remove(obj, content["missing"])
        fields: dict[str, Any] = content["fields"]
        package_id = dataset_id(obj.harvest_source_id, obj.guid)
        previous = (model.Session.query(HarvestObject)
                    .filter(HarvestObject.harvest_source_id == obj.harvest_source_id,
                            HarvestObject.guid == obj.guid, HarvestObject.current == True,  # noqa: E712
                            HarvestObject.id != obj.id).all())
        existing = model.Package.get(package_id)
        if existing and existing.state == "active" and any(
            _extra(p, HASH_KEY) == content["hash"] for p in previous
        ):
            return "unchanged"  # the same content is already there (e.g. a re-queued object)
        claimed = (model.Session.query(HarvestObject.harvest_source_id)
                   .filter(HarvestObject.package_id == package_id,
                           HarvestObject.harvest_source_id != obj.harvest_source_id).first())
        if claimed:
            raise SourceError(tk._("the dataset belongs to another harvest source"))

        source = obj.source
        owner_org = self._owner_org(fields.pop("owner_org", None), source)
        fields["harvested_at"] = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        package = to_package_dict(fields, schema_field_names())
        package.update(id=package_id, owner_org=owner_org, private=False)

        for other in previous:
            other.current = False
        obj.package_id = package_id
        obj.current = True
        model.Session.add(obj)
        # The dataset is indexed inside package_create/update; the harvest object must already be
        # there so the harvest plugin indexes the source with it (as ckanext-harvest does).
        model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
        model.Session.flush()
        if existing:
            package["name"] = existing.name
            package["state"] = "active"
            self._write("package_update", package)
        else:
            package["name"] = self._free_name(package.get("name") or package_id, package_id, source.id)
            self._write("package_create", package)
        for message in content.get("unknown", []):
            model.Session.add(HarvestObjectError(
                object=obj, stage="Import",
                message=tk._("Unmapped value (not in the city schema): {what}").format(what=message)))
        _complete(obj, "updated" if existing else "added")
        model.Session.commit()
        if self.validation_batch is not None:
            self.validation_batch.append(package_id)
        else:
            hand_to_validation([package_id])
        return True

    def _owner_org(self, remote_org: Optional[str], source: Any) -> str:
        if remote_org:
            mapping = parse_config(source.config).get("organization_mapping") or {}
            local = mapping.get(remote_org)
            if local:
                group = model.Group.get(local)
                if group and group.is_organization:
                    return group.id
                raise SourceError(tk._("the organisation {org} named in organization_mapping does not exist").format(org=local))
        holder = model.Package.get(source.id)
        owner = (holder.owner_org if holder is not None else None) or source.publisher_id
        if not owner:
            raise SourceError(tk._("the harvest source has no agency (organisation)"))
        return owner

    def _free_name(self, wanted: str, package_id: str, source_id: str) -> str:
        wanted = (slugify(wanted) or package_id)[:90]
        candidate = wanted
        suffix = slugify(source_id)[:8]
        for n in range(0, 100):
            holder = model.Package.get(candidate)
            if holder is None or holder.id == package_id:
                return candidate
            candidate = f"{wanted}-{suffix}" if n == 0 else f"{wanted}-{suffix}-{n}"
        return package_id

    def _remove(self, obj: HarvestObject, how: str) -> bool:
        package_id = dataset_id(obj.harvest_source_id, obj.guid)
        current = (model.Session.query(HarvestObject)
                   .filter(HarvestObject.harvest_source_id == obj.harvest_source_id,
                           HarvestObject.guid == obj.guid, HarvestObject.current == True,  # noqa: E712
                           HarvestObject.id != obj.id).all())
        obj.package_id = package_id if model.Package.get(package_id) else None
        obj.current = False
        context = self._context()
        package = model.Package.get(package_id)
        if package is not None and package.state == "active":
            if how == "delete":
                tk.get_action("package_delete")(context, {"id": package_id})
                for other in current:
                    other.current = False
            else:
                tk.get_action("package_patch")(context, {"id": package_id, "private": True})
        for other in current:
            _set_extra(other, HASH_KEY, WITHDRAWN)
        model.Session.add(obj)
        _complete(obj, "deleted")
        model.Session.commit()
        return True


# --------------------------------------------------------------------------------------------
# state


def current_state(source_id: str) -> dict[str, CurrentState]:
    """guid -> the current harvest object's hash and remote modification time, in one query."""
    hashes = sa.orm.aliased(HarvestObjectExtra)
    modified = sa.orm.aliased(HarvestObjectExtra)
    rows = (model.Session.query(HarvestObject.guid, HarvestObject.id, HarvestObject.package_id,
                                hashes.value, modified.value)
            .outerjoin(hashes, sa.and_(hashes.harvest_object_id == HarvestObject.id, hashes.key == HASH_KEY))
            .outerjoin(modified, sa.and_(modified.harvest_object_id == HarvestObject.id,
                                         modified.key == MODIFIED_KEY))
            .filter(HarvestObject.harvest_source_id == source_id, HarvestObject.current == True)  # noqa: E712
            .all())
    return {guid: CurrentState(oid, pid, h or "", m or "") for guid, oid, pid, h, m in rows}


def _unchanged_row(job: HarvestJob, guid: str, state: CurrentState, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "guid": guid, "current": False, "gathered": now, "state": "COMPLETE",
        "report_status": "not modified", "harvest_job_id": job.id, "harvest_source_id": job.source_id,
        "package_id": state.package_id, "import_finished": now, "retry_times": 0,
    }


def _complete(obj: HarvestObject, report_status: str) -> None:
    """Close the object in the import's own commit (the queue path sets the same again)."""
    obj.state = "COMPLETE"
    obj.report_status = report_status
    obj.import_finished = dt.datetime.utcnow()


def record_activity(package_id: str, kind: str, dictized: dict[str, Any], user_name: str) -> None:
    """The "new package"/"changed package" activity, as the activity plugin writes it, uncommitted."""
    from ckan.lib.plugins import get_permission_labels
    from ckan.plugins import plugin_loaded

    if not plugin_loaded("activity"):
        return
    user = model.User.get(user_name)
    pkg = model.Package.get(package_id)
    if user is None or pkg is None:
        return
    tk.get_action("activity_create")({"ignore_auth": True, "user": user_name, "defer_commit": True}, {
        "user_id": user.id, "object_id": package_id, "activity_type": f"{kind} package",
        "data": {"package": dictized, "actor": user.name},
        "permission_labels": get_permission_labels().get_dataset_labels(pkg),
    })


def hand_to_validation(package_ids: list[str]) -> None:
    """Queue the validation of the datasets' tabular resources, as an edit through the API does.

    The validation plugin reacts to committed actions; our imports run ``package_create`` and
    ``package_update`` with the commit deferred (they commit with the harvest object), so they
    hand the datasets over themselves once committed."""
    from ckan.plugins import plugin_loaded

    if not plugin_loaded("cityopendata_validation"):
        return
    from ckanext.cityopendata.validation import jobs

    try:
        jobs.consider_datasets(package_ids)
    except Exception:  # validation can be queued again later; the harvested datasets stay
        log.exception("could not queue the validation of %d harvested dataset(s)", len(package_ids))
        model.Session.rollback()


def commit_index() -> None:
    """One Solr commit for the datasets a job indexed with the commit deferred."""
    from ckan.lib import search

    search.commit()


def _extra(obj: HarvestObject, key: str) -> Optional[str]:
    for extra in obj.extras:
        if extra.key == key:
            return extra.value
    return None


def _set_extra(obj: HarvestObject, key: str, value: str) -> None:
    for extra in obj.extras:
        if extra.key == key:
            extra.value = value
            return
    obj.extras.append(HarvestObjectExtra(key=key, value=value))


def _flatten_errors(errors: Any) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {_flatten_errors(v)}" for k, v in errors.items() if v)
    if isinstance(errors, list):
        return ", ".join(_flatten_errors(e) for e in errors if e)
    return str(errors)
