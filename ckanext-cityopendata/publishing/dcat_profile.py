"""Our DCAT-AP 3 profile: the city's fields on top of ckanext-dcat's EuropeanDCATAP3Profile.

Bilingual titles and descriptions (vi/en), topics as themes, administrative units with their
official codes, update frequency, legal basis, language, licence on each distribution, and the
Table Schema of a resource as its ``dct:conformsTo``. Registered as ``cityopendata_dcat_ap_3``.
"""
from __future__ import annotations

import json
from typing import Any

from rdflib import BNode, Literal, Namespace, URIRef

from ckan.plugins import toolkit as tk
from ckanext.dcat.profiles import DCAT, DCT, FOAF, RDF, SKOS, VCARD
from ckanext.dcat.profiles.base import DCATAP
from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile
from ckanext.dcat.utils import resource_uri

from ckanext.cityopendata.publishing.fields import value_of

ELI = Namespace("http://data.europa.eu/eli/ontology#")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
FREQUENCIES = {
    "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "quarterly": "QUARTERLY",
    "yearly": "ANNUAL", "annual": "ANNUAL", "irregular": "IRREG", "realtime": "CONT",
}
LANGUAGES = {"vi": "VIE", "en": "ENG"}


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return [str(v) for v in json.loads(text)]
            except ValueError:
                pass
        return [v.strip() for v in text.split(",") if v.strip()]
    return [str(v) for v in value]


def _site() -> str:
    return tk.config.get("ckan.site_url").rstrip("/")


class CityOpenDataDCATProfile(EuropeanDCATAP3Profile):
    """DCAT-AP 3 for a Vietnamese city portal."""

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        super().graph_from_dataset(dataset_dict, dataset_ref)
        self._bilingual(dataset_dict, dataset_ref)
        self._themes(dataset_dict, dataset_ref)
        self._admin_units(dataset_dict, dataset_ref)
        self._frequency(dataset_dict, dataset_ref)
        self._legal_basis(dataset_dict, dataset_ref)
        self._language(dataset_dict, dataset_ref)
        self._distributions(dataset_dict, dataset_ref)
        for contact in self.g.objects(dataset_ref, DCAT.contactPoint):
            self.g.add((contact, RDF.type, VCARD.Kind))

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Any) -> None:
        super().graph_from_catalog(catalog_dict, catalog_ref)
        g = self.g
        city = tk.config.get("ckanext.cityopendata.city_name")
        city_en = tk.config.get("ckanext.cityopendata.city_name_en")
        g.remove((catalog_ref, DCT.title, None))
        g.remove((catalog_ref, DCT.description, None))
        g.add((catalog_ref, DCT.title, Literal(f"Dữ liệu mở {city}", lang="vi")))
        g.add((catalog_ref, DCT.title, Literal(f"{city_en} open data", lang="en")))
        g.add((catalog_ref, DCT.description, Literal(f"Danh mục dữ liệu mở của {city}", lang="vi")))
        g.add((catalog_ref, DCT.description, Literal(f"The open-data catalogue of {city_en}", lang="en")))
        if not list(g.objects(catalog_ref, DCT.publisher)):
            publisher = URIRef(_site() + "/")
            g.add((publisher, RDF.type, FOAF.Agent))
            g.add((publisher, FOAF.name, Literal(city, lang="vi")))
            g.add((publisher, FOAF.name, Literal(city_en, lang="en")))
            g.add((catalog_ref, DCT.publisher, publisher))
        self._drop_literal_languages(catalog_ref)
        for code in LANGUAGES.values():
            g.add((catalog_ref, DCT.language, LANGUAGE[code]))
            g.add((LANGUAGE[code], RDF.type, DCT.LinguisticSystem))

    def _bilingual(self, d: dict[str, Any], ref: Any) -> None:
        g = self.g
        for vi_key, en_key, predicate in (("title", "title_en", DCT.title), ("notes", "notes_en", DCT.description)):
            vi_text = value_of(d, vi_key) or (d.get("title") if predicate == DCT.description else None)
            if not vi_text:
                continue
            g.remove((ref, predicate, None))
            g.add((ref, predicate, Literal(vi_text, lang="vi")))
            if value_of(d, en_key):
                g.add((ref, predicate, Literal(value_of(d, en_key), lang="en")))

    def _themes(self, d: dict[str, Any], ref: Any) -> None:
        scheme = URIRef(_site() + "/vocabulary/topics")
        for code in _list(value_of(d, "topics")):
            concept = URIRef(f"{_site()}/vocabulary/topics/{code}")
            self.g.add((ref, DCAT.theme, concept))
            self.g.add((concept, RDF.type, SKOS.Concept))
            self.g.add((concept, SKOS.notation, Literal(code)))
            self.g.add((concept, SKOS.inScheme, scheme))

    def _admin_units(self, d: dict[str, Any], ref: Any) -> None:
        for code in _list(value_of(d, "admin_units")):
            unit = URIRef(f"{_site()}/vocabulary/admin-units/{code}")
            self.g.add((ref, DCT.spatial, unit))
            self.g.add((unit, RDF.type, DCT.Location))
            self.g.add((unit, DCT.identifier, Literal(code)))
            self.g.add((unit, SKOS.notation, Literal(code)))

    def _frequency(self, d: dict[str, Any], ref: Any) -> None:
        code = FREQUENCIES.get(str(value_of(d, "update_frequency") or "").lower())
        if code:
            self.g.remove((ref, DCT.accrualPeriodicity, None))
            self.g.add((ref, DCT.accrualPeriodicity, FREQUENCY[code]))
            self.g.add((FREQUENCY[code], RDF.type, DCT.Frequency))

    def _legal_basis(self, d: dict[str, Any], ref: Any) -> None:
        basis_value = value_of(d, "legal_basis")
        for basis in [basis_value] if isinstance(basis_value, str) else _list(basis_value):
            node = URIRef(basis) if basis.startswith(("http://", "https://")) else BNode()
            self.g.add((ref, DCATAP.applicableLegislation, node))
            self.g.add((node, RDF.type, ELI.LegalResource))
            if isinstance(node, BNode):
                self.g.add((node, DCT.title, Literal(basis, lang="vi")))

    def _drop_literal_languages(self, ref: Any) -> None:
        """DCAT-AP wants dct:LinguisticSystem resources, not the plain codes the base profile emits."""
        for value in list(self.g.objects(ref, DCT.language)):
            if isinstance(value, Literal):
                self.g.remove((ref, DCT.language, value))

    def _language(self, d: dict[str, Any], ref: Any) -> None:
        self._drop_literal_languages(ref)
        for lang in _list(value_of(d, "language")) or ["vi"]:
            code = LANGUAGES.get(lang.lower()[:2])
            if code:
                self.g.add((ref, DCT.language, LANGUAGE[code]))
                self.g.add((LANGUAGE[code], RDF.type, DCT.LinguisticSystem))

    def _licence(self, d: dict[str, Any]) -> Any:
        if d.get("license_url"):
            return URIRef(d["license_url"])
        if d.get("license_id"):
            return URIRef(f"{_site()}/licenses/{d['license_id']}")
        return None

    def _distributions(self, d: dict[str, Any], ref: Any) -> None:
        g = self.g
        licence = self._licence(d)
        for resource in d.get("resources") or []:
            dist = URIRef(resource_uri(resource))
            if (ref, DCAT.distribution, dist) not in g:
                continue
            if licence is not None and not list(g.objects(dist, DCT.license)):
                g.add((dist, DCT.license, licence))
            for lic in g.objects(dist, DCT.license):
                g.add((lic, RDF.type, DCT.LicenseDocument))
            schema = resource.get("table_schema")
            if schema:
                standard = URIRef(schema if schema.startswith(("http://", "https://"))
                                  else f"{_site()}/table-schemas/{schema}")
                g.add((dist, DCT.conformsTo, standard))
                g.add((standard, RDF.type, DCT.Standard))
                g.add((standard, DCT.identifier, Literal(schema)))
