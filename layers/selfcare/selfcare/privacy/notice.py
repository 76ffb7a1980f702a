"""The data-protection notice (issue 10, section 2): customers' and staff's, in French and English, versioned.

Pure: no I/O. The retention periods come from the constants the code enforces, read when the notice is built
(never copied): the main periods from selfcare.retention.rules, selfcare.billing.models and the registry's
LOG_MONTHS, and the per-store table from the personal-data registry itself (selfcare.privacy.registry.REGISTRY),
so the notice cannot drift from what the code does (tests/integration/test_privacy_notice.py changes a constant
and sees the notice change). The per-store table gives the registry's own words (English) in both languages.

Language: the `lang` query parameter wins, then the Accept-Language header (by quality), then French.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from selfcare.billing import models as billing_models
from selfcare.privacy import registry
from selfcare.privacy import schemas as s
from selfcare.privacy.registry import Category, Store
from selfcare.privacy.usage import SUPPRESSION_THRESHOLD
from selfcare.retention import rules

# A new version whenever the content changes (purposes, recipients, periods' wording); the date it applies from.
NOTICE_VERSION = "2026.1"
EFFECTIVE_DATE = "2026-11-26"


class Language(StrEnum):
    FR = "fr"
    EN = "en"


DEFAULT_LANGUAGE = Language.FR  # Monaco's official language


def language_of(query: str | None, accept_language: str | None) -> Language:
    """`?lang=` wins; else the best Accept-Language entry we serve (by q-value); else French."""
    if query:
        chosen = query.strip().lower()[:2]
        if chosen in (Language.FR.value, Language.EN.value):
            return Language(chosen)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for quality, _, tag in sorted(ranked):
        if quality < 0 and tag in (Language.FR.value, Language.EN.value):
            return Language(tag)
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Operator:
    """The controller, from configuration (selfcare.config.PrivacySettings)."""

    name: str
    address: str
    privacy_email: str
    postal_contact: str


# (French, English) everywhere below.
CATEGORY_TEXT: dict[Category, tuple[tuple[str, str], tuple[str, str]]] = {
    Category.IDENTIFICATION: (
        ("Identification", "nom, adresse, date de naissance, identifiant de l'identité numérique, code secret"),
        ("Identification", "name, address, date of birth, digital-identity id, secret code"),
    ),
    Category.CONTACT: (("Coordonnées", "e-mail, numéros de téléphone"), ("Contact", "email, phone numbers")),
    Category.CONTRACT: (
        ("Contrat", "lignes, offres, options, équipements, cartes SIM"),
        ("Contract", "lines, offers, options, equipment, SIM cards"),
    ),
    Category.BILLING: (
        ("Facturation", "factures, paiements, adresse de facturation"),
        ("Billing", "invoices, payments, billing address"),
    ),
    Category.BANKING: (
        ("Données bancaires", "moyen de paiement (masqué), titulaire"),
        ("Banking", "payment method (masked), holder"),
    ),
    Category.TRAFFIC: (
        ("Trafic", "détail des consommations, numéros appelés, vidéos à la demande (références anonymisées)"),
        ("Traffic", "usage detail, numbers called, video on demand (references anonymised)"),
    ),
    Category.CONNECTION: (
        ("Connexions", "journal des tentatives de connexion"),
        ("Connection", "log of login attempts"),
    ),
    Category.AUTHENTICATION: (
        ("Authentification", "identifiants, mot de passe (haché), sessions, codes à usage unique"),
        ("Authentication", "identifiers, password (hashed), sessions, one-time codes"),
    ),
    Category.SUPPORT: (("Assistance", "demandes d'assistance et leur suivi"), ("Support", "support tickets")),
    Category.CONSENT: (
        ("Consentements", "vos choix (lettre d'information, enquêtes, SMS commerciaux) et leur historique"),
        ("Consent", "your choices (newsletter, surveys, commercial SMS) and their history"),
    ),
    Category.AUDIT: (
        ("Traçabilité", "qui a fait quoi dans votre espace, sous pseudonyme"),
        ("Audit", "who did what in your space, pseudonymous"),
    ),
    Category.TECHNICAL: (
        ("Technique", "identifiants techniques seulement (client, paiement)"),
        ("Technical", "technical identifiers only (customer, payment)"),
    ),
}

# The stores that concern staff members (their own data), by registry name; every other store concerns customers.
STAFF_STORES = ("connection log (staff)", "audit trail", "credential", "login keys", "sessions")
STAFF_ONLY_STORES = ("connection log (staff)",)

AUTHORITY = s.PrivacyAuthority(
    name="Commission de Contrôle des Informations Nominatives (CCIN)",
    address="12, avenue de Fontvieille, 98000 Monaco",
    website="https://www.ccin.mc",
)


def _t(language: Language, fr: str, en: str) -> str:
    return fr if language is Language.FR else en


def category(code: Category, language: Language) -> s.PrivacyCategory:
    label, description = CATEGORY_TEXT[code][0 if language is Language.FR else 1]
    return s.PrivacyCategory(code=code.value, label=label, description=description)


def retention_periods(language: Language) -> list[s.PrivacyRetentionPeriod]:
    """The main periods, read from the constants at each call (SPEC.md, Retention)."""
    t = language
    hide, anonymise = rules.HIDE_AFTER_MONTHS, rules.ANONYMISE_AFTER_MONTHS
    years = anonymise // 12 if anonymise % 12 == 0 else None
    anonymise_text = (
        _t(t, f"{years} ans", f"{years} years")
        if years is not None
        else _t(t, f"{anonymise} mois", f"{anonymise} months")
    )
    rows = [
        (
            _t(t, "Journaux de connexion (clients et personnel)", "Connection logs (customers and staff)"),
            _t(
                t,
                f"{registry.LOG_MONTHS} mois à compter de la collecte",
                f"{registry.LOG_MONTHS} months from collection",
            ),
        ),
        (
            _t(
                t,
                "Informations du dossier client affichées dans l'espace",
                "Customer-record information shown in the space",
            ),
            _t(
                t,
                f"plus affichées à personne {hide} mois après la résiliation",
                f"no longer shown to anyone {hide} month(s) after termination",
            ),
        ),
        (
            _t(t, "Données d'identification du compte", "Identification data of the account"),
            _t(
                t,
                f"{anonymise_text} après la fin du contrat, puis anonymisées",
                f"{anonymise_text} after the end of the contract, then anonymised",
            ),
        ),
        (
            _t(t, "Factures affichées", "Invoices shown"),
            _t(t, f"{billing_models.INVOICE_MONTHS} mois", f"{billing_models.INVOICE_MONTHS} months"),
        ),
        (
            _t(t, "Paiements affichés", "Payments shown"),
            _t(t, f"{billing_models.PAYMENT_MONTHS} mois", f"{billing_models.PAYMENT_MONTHS} months"),
        ),
        (
            _t(t, "Détail des consommations affiché", "Usage detail shown"),
            _t(t, f"{billing_models.USAGE_MONTHS} mois", f"{billing_models.USAGE_MONTHS} months"),
        ),
    ]
    return [s.PrivacyRetentionPeriod(data=data, period=period) for data, period in rows]


def store_rows(stores: list[Store]) -> list[s.PrivacyStoreRetention]:
    return [
        s.PrivacyStoreRetention(store=st.name, category=st.category.value, purpose=st.purpose, retention=st.retention)
        for st in stores
    ]


def customer_stores() -> list[Store]:
    return [st for st in registry.REGISTRY if st.name not in STAFF_ONLY_STORES]


def staff_stores() -> list[Store]:
    return [st for st in registry.REGISTRY if st.name in STAFF_STORES]


def _controller(operator: Operator) -> s.PrivacyController:
    return s.PrivacyController(
        name=operator.name,
        address=operator.address,
        privacy_email=operator.privacy_email,
        postal_contact=operator.postal_contact,
    )


def _statistics(language: Language) -> str:
    return _t(
        language,
        "L'espace compte ses utilisations par jour, fonction, plateforme (web ou mobile) et résultat, sans aucune "
        "donnée personnelle : ni adresse IP, ni identifiant de client ou de session, ni cookie, ni empreinte, ni "
        f"navigateur. Les nombres inférieurs à {SUPPRESSION_THRESHOLD} ne sont jamais montrés.",
        "The space counts its uses per day, feature, platform (web or mobile) and outcome, with no personal data: no "
        "IP address, no customer or session id, no cookie, no fingerprint, no browser string. Counts below "
        f"{SUPPRESSION_THRESHOLD} are never shown.",
    )


def _rights(language: Language, operator: Operator, staff: bool) -> list[s.PrivacyRight]:
    t = language
    write = _t(
        t,
        f"par écrit à {operator.privacy_email} ou à {operator.postal_contact}",
        f"in writing to {operator.privacy_email} or to {operator.postal_contact}",
    )
    if staff:
        where = _t(t, f"auprès du responsable, {write}", f"with the controller, {write}")
    else:
        where = _t(
            t,
            f"depuis votre espace client (rubrique « Mes données »), ou {write} ; votre identité est vérifiée par un "
            "code envoyé à l'e-mail ou au mobile de votre dossier",
            f'from your customer space ("My data"), or {write}; your identity is checked with a code sent to the '
            "email or mobile on record",
        )
    rows = [
        (
            _t(t, "Droit d'accès", "Right of access"),
            _t(t, f"{where}. Réponse dans un délai d'un mois.", f"{where}. Answered within one month."),
        ),
        (
            _t(t, "Droit de rectification", "Right of rectification"),
            _t(
                t,
                f"dans l'espace pour vos coordonnées, sinon {write}",
                f"in the space for your contact details, otherwise {write}",
            )
            if not staff
            else _t(t, f"par l'annuaire de l'opérateur, ou {write}", f"through the operator's directory, or {write}"),
        ),
        (
            _t(t, "Droit d'opposition", "Right to object"),
            _t(
                t,
                f"aux traitements fondés sur l'intérêt légitime et à la prospection (à tout moment), {write}",
                f"to processing based on legitimate interest and to marketing (at any time), {write}",
            ),
        ),
        (
            _t(t, "Droit de suppression", "Right to erasure"),
            _t(
                t,
                f"des données qui ne sont plus nécessaires ou dont le traitement n'est pas licite, {write}",
                f"of data no longer needed or processed unlawfully, {write}",
            ),
        ),
        (
            _t(t, "Réclamation", "Complaint"),
            _t(t, f"auprès de la {AUTHORITY.name}", f"with the {AUTHORITY.name}"),
        ),
    ]
    return [s.PrivacyRight(right=right, how=how) for right, how in rows]


def customer_notice(language: Language, operator: Operator) -> s.PrivacyNotice:
    t = language
    c = Category
    purposes = [
        (
            _t(t, "Gérer votre compte, vos lignes et vos services", "Manage your account, lines and services"),
            _t(t, "exécution du contrat", "performance of the contract"),
            [c.IDENTIFICATION, c.CONTACT, c.CONTRACT, c.AUTHENTICATION, c.TECHNICAL],
        ),
        (
            _t(t, "Facturer et encaisser", "Bill and collect payments"),
            _t(
                t,
                "exécution du contrat ; obligation légale (comptabilité)",
                "performance of the contract; legal obligation (accounting)",
            ),
            [c.BILLING, c.BANKING, c.TRAFFIC],
        ),
        (
            _t(t, "Vous assister", "Support you"),
            _t(t, "exécution du contrat", "performance of the contract"),
            [c.SUPPORT, c.CONTACT],
        ),
        (
            _t(
                t,
                "Sécuriser l'espace (connexions, traçabilité des actions)",
                "Secure the space (logins, audit of actions)",
            ),
            _t(t, "intérêt légitime ; obligation légale", "legitimate interest; legal obligation"),
            [c.CONNECTION, c.AUDIT, c.AUTHENTICATION],
        ),
        (
            _t(t, "Vous informer et vous sonder, si vous l'acceptez", "Inform and survey you, if you agree"),
            _t(t, "consentement (retirable à tout moment)", "consent (withdrawable at any time)"),
            [c.CONSENT, c.CONTACT],
        ),
        (
            _t(t, "Mesurer l'utilisation de l'espace", "Measure the use of the space"),
            _t(t, "intérêt légitime ; aucune donnée personnelle", "legitimate interest; no personal data"),
            [],
        ),
    ]
    recipients = [
        (
            _t(t, "Le personnel habilité de l'opérateur", "The operator's authorised staff"),
            _t(
                t,
                "selon son rôle, par un accès assisté tracé (vente, production, infrastructure, service client)",
                "by role, through an audited assisted access (sales, production, infrastructure, customer service)",
            ),
        ),
        (
            _t(t, "Les systèmes de gestion et de facturation de l'opérateur", "The operator's CRM and billing systems"),
            _t(t, "votre dossier et ses modifications", "your record and its changes"),
        ),
        (
            _t(t, "Le système de provisionnement du réseau", "The network provisioning system"),
            _t(t, "les réglages de vos lignes", "your lines' settings"),
        ),
        (
            _t(t, "Le prestataire de paiement", "The payment provider"),
            _t(t, "le paiement que vous lancez", "the payment you start"),
        ),
        (
            _t(t, "Le fournisseur de l'identité numérique de l'État", "The government digital-identity provider"),
            _t(t, "seulement si vous vous connectez par elle", "only if you log in with it"),
        ),
        (
            _t(
                t,
                "L'hébergeur (Amazon Web Services, Union européenne)",
                "The host (Amazon Web Services, European Union)",
            ),
            _t(t, "hébergement, e-mails et SMS de service", "hosting, service emails and SMS"),
        ),
    ]
    return s.PrivacyNotice(
        audience="customers",
        version=NOTICE_VERSION,
        effective_date=EFFECTIVE_DATE,
        language=language.value,
        title=_t(t, "Notice d'information sur la protection des données", "Data-protection notice"),
        controller=_controller(operator),
        purposes=[
            s.PrivacyPurpose(purpose=p, legal_basis=b, categories=[x.value for x in cats]) for p, b, cats in purposes
        ],
        categories=[category(code, language) for code in Category],
        recipients=[s.PrivacyRecipient(recipient=r, what=w) for r, w in recipients],
        retention_periods=retention_periods(language),
        stores=store_rows(customer_stores()),
        rights=_rights(language, operator, staff=False),
        authority=AUTHORITY,
        usage_statistics=_statistics(language),
    )


def staff_notice(language: Language, operator: Operator) -> s.PrivacyNotice:
    t = language
    c = Category
    purposes = [
        (
            _t(
                t,
                "Vous authentifier (annuaire de l'opérateur, accès de secours)",
                "Authenticate you (the operator's directory, break-glass access)",
            ),
            _t(
                t,
                "intérêt légitime (sécurité) ; contrat de travail",
                "legitimate interest (security); employment contract",
            ),
            [c.AUTHENTICATION, c.IDENTIFICATION],
        ),
        (
            _t(t, "Journaliser vos connexions", "Log your logins"),
            _t(
                t, "obligation légale ; intérêt légitime (sécurité)", "legal obligation; legitimate interest (security)"
            ),
            [c.CONNECTION],
        ),
        (
            _t(t, "Tracer vos actions dans les espaces des clients", "Audit your actions in customers' spaces"),
            _t(
                t,
                "obligation légale ; intérêt légitime (responsabilité)",
                "legal obligation; legitimate interest (accountability)",
            ),
            [c.AUDIT],
        ),
    ]
    recipients = [
        (
            _t(t, "Les équipes de production et d'infrastructure", "The production and infrastructure teams"),
            _t(
                t,
                "le journal et la traçabilité, lors d'un incident ou d'un contrôle",
                "the log and the audit trail, during an incident or an audit",
            ),
        ),
        (
            _t(t, "L'annuaire de l'opérateur", "The operator's directory"),
            _t(
                t,
                "votre identité professionnelle et votre rôle (il en est la source)",
                "your professional identity and role (it is their source)",
            ),
        ),
        (
            _t(
                t,
                "L'hébergeur (Amazon Web Services, Union européenne)",
                "The host (Amazon Web Services, European Union)",
            ),
            _t(t, "hébergement", "hosting"),
        ),
    ]
    stores = staff_stores()
    return s.PrivacyNotice(
        audience="staff",
        version=NOTICE_VERSION,
        effective_date=EFFECTIVE_DATE,
        language=language.value,
        title=_t(t, "Notice d'information du personnel", "Staff data-protection notice"),
        controller=_controller(operator),
        purposes=[
            s.PrivacyPurpose(purpose=p, legal_basis=b, categories=[x.value for x in cats]) for p, b, cats in purposes
        ],
        # Their stores' categories, and the directory identity (name, professional email, role) they sign in with.
        categories=[
            category(code, language)
            for code in dict.fromkeys([*(st.category for st in stores), Category.IDENTIFICATION])
        ],
        recipients=[s.PrivacyRecipient(recipient=r, what=w) for r, w in recipients],
        retention_periods=retention_periods(language)[:1],
        stores=store_rows(stores),
        rights=_rights(language, operator, staff=True),
        authority=AUTHORITY,
        usage_statistics=_statistics(language),
    )


def held_categories(stores: list[Store], language: Language) -> s.PrivacyHeldCategories:
    """The categories of the stores found for one customer, each with those stores and their retention."""
    by_category: dict[Category, list[Store]] = {}
    for st in stores:
        by_category.setdefault(st.category, []).append(st)
    return s.PrivacyHeldCategories(
        notice_version=NOTICE_VERSION,
        language=language.value,
        categories=[
            s.PrivacyHeldCategory(
                **category(code, language).model_dump(),
                stores=[
                    s.PrivacyHeldStore(store=st.name, purpose=st.purpose, retention=st.retention)
                    for st in by_category[code]
                ],
            )
            for code in Category
            if code in by_category
        ],
    )
