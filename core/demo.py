"""The core's demo data: a fictional GAL between Hesbaye and Meuse, its eight communes, their
stakeholders and contacts, their PST and a few hundred projects with indicators.

The communes are real (names and NIS codes from Statbel, see :mod:`bocage.core.reference`);
everything else is invented: organisations, people (``@example.org`` addresses, no phone
numbers), enterprise numbers (valid check digits, in a block that old VAT numbers never used),
websites (``example.org``), PSTs and projects. The data is deterministic (``random.Random(2020)``,
a fixed "today", :data:`REFERENCE_DAY`), so two databases seeded alike hold the same rows.

``bocage seed demo`` calls :func:`seed_demo` in one transaction; ``scale`` multiplies the number
of generated rows (the eight communes and their PSTs stay as they are).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bocage.core.models import (
    Commune,
    Contact,
    Indicator,
    IndicatorValue,
    OperationalObjective,
    Project,
    ProjectFocus,
    ProjectStakeholder,
    ProjectStatus,
    PstAction,
    Stakeholder,
    StakeholderKind,
    StakeholderNeed,
    StakeholderRole,
    StrategicObjective,
    StrategicPlan,
    Territory,
    project_commune,
    project_pst_action,
    stakeholder_commune,
)
from bocage.core.reference import setup_territory
from sqlalchemy import insert, select

if TYPE_CHECKING:
    from bocage.core.hookspecs import SeedOptions
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "COMMUNE_NIS_CODES",
    "REFERENCE_DAY",
    "TERRITORY_SLUG",
    "DemoDataExists",
    "database_is_empty",
    "seed_demo",
]

TERRITORY_SLUG = "gal-hesbaye-meuse"
#: Hannut, Wasseiges, Braives, Burdinne, Héron, Andenne, Fernelmont, Eghezée.
COMMUNE_NIS_CODES = ("64034", "64075", "64015", "61010", "61028", "92003", "92138", "92035")
#: The demo's "today": statuses, dates and measurements are consistent with it.
REFERENCE_DAY = dt.date(2026, 9, 1)
SEED = 2020

#: Rows at scale 1 (the communes, their administrations and their PSTs do not scale).
PROJECTS = 320
ENTERPRISES = 60
ASSOCIATIONS = 24
CITIZEN_INITIATIVES = 16
PUBLIC_BODIES = 12

_TERRITORY_NAME = {
    "fr": "GAL Hesbaye-Meuse",
    "nl": "Plaatselijke Groep Haspengouw-Maas",
    "de": "LAG Haspengau-Maas",
    "en": "Hesbaye-Meuse Local Action Group",
}
_TERRITORY_DESCRIPTION = {
    "fr": "Groupe d'Action Locale fictif, créé pour la démonstration de Bocage : huit communes "
    "entre les plateaux de Hesbaye et la vallée de la Meuse qui portent ensemble des projets de "
    "territoire intelligent, en vert (collaboration et participation) et en bleu (numérique).",
    "nl": "Fictieve Plaatselijke Groep, gemaakt om Bocage te demonstreren: acht gemeenten tussen "
    "Haspengouw en de Maasvallei die samen projecten voor een slim platteland dragen.",
    "en": "A fictional Local Action Group made to demonstrate Bocage: eight municipalities "
    "between the Hesbaye plateau and the Meuse valley carrying smart-territory projects together.",
}
#: Weights of the communes when projects pick where they happen (bigger towns, more projects).
_COMMUNE_WEIGHTS = {
    "64034": 1.4, "64075": 0.7, "64015": 1.0, "61010": 0.8,
    "61028": 0.9, "92003": 1.6, "92138": 1.0, "92035": 1.3,
}  # fmt: skip


class DemoDataExists(RuntimeError):
    """The demo territory is already in the database: seeding again would duplicate it."""


async def database_is_empty(session: AsyncSession) -> bool:
    """Whether the database holds no territory and no project (archived ones included)."""
    for model in (Territory, Project):
        if await session.scalar(select(model.id).limit(1)) is not None:
            return False
    return True


async def seed_demo(session: AsyncSession, options: SeedOptions) -> None:
    """Write the core's demo data in ``session`` (flushed, not committed).

    Raises :class:`DemoDataExists` if the demo territory is already there.
    """
    existing = await session.scalar(select(Territory.id).where(Territory.slug == TERRITORY_SLUG))
    if existing is not None:
        raise DemoDataExists(
            f"The demo territory {TERRITORY_SLUG!r} is already in this database, so the demo "
            "data has been seeded before; nothing was written. Seed an empty database instead, "
            "or delete that territory first."
        )
    await _DemoSeeder(session, options).run()


# ============================================================================================
# The content: names and texts the generator draws from
# ============================================================================================

T = dict[str, str]  # a multilingual text (or text pattern)


def _de(name: str) -> str:
    """'de Hannut', 'd'Andenne' (no elision before an h: 'de Héron')."""
    return f"d'{name}" if _fold(name)[:1] in set("aeiouy") else f"de {name}"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in _fold(text)).split())


@dataclass(frozen=True)
class _Sector:
    """A kind of local business: name prefix and description (fr, sometimes nl/en)."""

    prefix: str
    description: T
    forms: tuple[str, ...] = ("SRL", "", "SRL", "SC")
    needs: tuple[StakeholderNeed, ...] = (StakeholderNeed.VISIBILITY, StakeholderNeed.NETWORKING)


_N = StakeholderNeed
_SECTORS: tuple[_Sector, ...] = (
    _Sector("Boulangerie", {
        "fr": "Boulangerie artisanale : pains au levain et viennoiseries à base de farines de "
        "Hesbaye.",
        "nl": "Ambachtelijke bakkerij: zuurdesembrood en koffiekoeken van Haspengouws meel.",
        "en": "Craft bakery: sourdough bread and pastries made with Hesbaye flour.",
    }),
    _Sector("Ferme", {
        "fr": "Exploitation agricole familiale : grandes cultures, betteraves et vente directe de "
        "pommes de terre et d'œufs à la ferme.",
        "nl": "Familiaal landbouwbedrijf: akkerbouw, suikerbieten en hoeveverkoop van "
        "aardappelen en eieren.",
        "en": "Family farm: arable crops, sugar beet and farm-gate sales of potatoes and eggs.",
    }, forms=("", "", "SRL"), needs=(_N.VISIBILITY, _N.DIGITAL_TOOLS, _N.FUNDING)),
    _Sector("Les Jardins", {
        "fr": "Maraîchage biologique sur sol vivant, paniers de légumes hebdomadaires et vente au "
        "marché.",
        "en": "Organic market gardening, weekly vegetable boxes and market stall.",
    }, forms=("", "SC"), needs=(_N.VISIBILITY, _N.VOLUNTEERS, _N.FUNDING)),
    _Sector("Brasserie", {
        "fr": "Micro-brasserie : bières de saison brassées avec l'orge et le houblon de la région.",
        "nl": "Microbrouwerij: seizoensbieren gebrouwen met gerst en hop uit de streek.",
        "en": "Micro-brewery: seasonal beers brewed with local barley and hops.",
    }),
    _Sector("Fromagerie", {
        "fr": "Fromages au lait cru de vache, affinés sur place et vendus en circuit court.",
    }),
    _Sector("Miellerie", {
        "fr": "Apiculture et miels de Hesbaye, ateliers de découverte des abeilles pour les "
        "écoles.",
        "en": "Beekeeping and Hesbaye honey, discovery workshops for schools.",
    }, forms=("",)),
    _Sector("Vergers", {
        "fr": "Vergers hautes tiges, jus de pomme, cidre et sirop de Liège artisanal.",
        "nl": "Hoogstamboomgaarden, appelsap, cider en ambachtelijke Luikse siroop.",
    }),
    _Sector("Menuiserie", {
        "fr": "Menuiserie générale, châssis en bois et aménagements intérieurs sur mesure.",
    }, needs=(_N.TRAINING, _N.VISIBILITY)),
    _Sector("Toitures", {
        "fr": "Couverture, isolation de toitures et pose de panneaux photovoltaïques.",
        "en": "Roofing, roof insulation and solar panel installation.",
    }, needs=(_N.TRAINING, _N.NETWORKING)),
    _Sector("Électricité", {
        "fr": "Installations électriques, bornes de recharge et domotique pour particuliers et "
        "PME.",
    }, needs=(_N.TRAINING, _N.DIGITAL_TOOLS)),
    _Sector("Garage", {
        "fr": "Entretien et réparation de véhicules, spécialiste des motorisations hybrides.",
    }),
    _Sector("Cycles", {
        "fr": "Vente, location et réparation de vélos, dont des vélos à assistance électrique.",
        "nl": "Verkoop, verhuur en herstelling van fietsen, ook elektrische fietsen.",
        "en": "Bicycle sales, rental and repairs, including e-bikes.",
    }),
    _Sector("Librairie", {
        "fr": "Librairie-papeterie indépendante : rencontres d'auteurs et dépôt de presse.",
    }, needs=(_N.VISIBILITY, _N.DIGITAL_TOOLS)),
    _Sector("Épicerie", {
        "fr": "Épicerie de produits locaux et en vrac, en circuit court avec les producteurs de la "
        "région.",
        "en": "Local and zero-waste grocery, sourcing directly from the region's producers.",
    }, forms=("SRL", "SC", "")),
    _Sector("Traiteur", {
        "fr": "Traiteur et repas à domicile, cuisine de saison et produits du terroir.",
    }),
    _Sector("Gîte", {
        "fr": "Gîte rural et chambres d'hôtes au calme, à deux pas des chemins de promenade.",
        "nl": "Vakantiewoning en gastenkamers op het platteland, vlak bij de wandelpaden.",
        "en": "Countryside holiday cottage and guest rooms, close to walking trails.",
    }, forms=("",), needs=(_N.VISIBILITY, _N.DIGITAL_TOOLS)),
    _Sector("Studio numérique", {
        "fr": "Agence de communication numérique : sites web, réseaux sociaux et formations pour "
        "indépendants et associations.",
        "en": "Digital agency: websites, social media and training for small businesses and "
        "non-profits.",
    }, needs=(_N.NETWORKING, _N.VISIBILITY)),
    _Sector("Informatique", {
        "fr": "Dépannage informatique, réseaux et cybersécurité pour TPE et administrations.",
    }, needs=(_N.NETWORKING, _N.TRAINING)),
    _Sector("Fiduciaire", {
        "fr": "Bureau comptable et fiscal au service des indépendants et des PME.",
    }, forms=("SRL",), needs=(_N.DIGITAL_TOOLS, _N.NETWORKING)),
    _Sector("Imprimerie", {
        "fr": "Imprimerie et signalétique, impression sur papier recyclé.",
    }, forms=("SRL", "SA")),
    _Sector("Atelier d'architecture", {
        "fr": "Architecture durable, rénovation énergétique et certification PEB.",
        "nl": "Duurzame architectuur, energierenovatie en EPB-certificering.",
    }, forms=("SRL",), needs=(_N.NETWORKING, _N.VISIBILITY)),
    _Sector("Transports", {
        "fr": "Transport de marchandises et logistique du dernier kilomètre.",
    }, forms=("SRL", "SA"), needs=(_N.DIGITAL_TOOLS, _N.TRAINING)),
    _Sector("Pépinière", {
        "fr": "Pépinière de plants indigènes : haies, arbres fruitiers et plantes mellifères.",
        "en": "Nursery of native plants: hedges, fruit trees and bee-friendly plants.",
    }),
    _Sector("Distillerie", {
        "fr": "Distillerie artisanale de péket et d'eaux-de-vie de fruits.",
    }),
    _Sector("Chocolaterie", {
        "fr": "Chocolaterie artisanale, pralines et ateliers de dégustation.",
        "nl": "Ambachtelijke chocolaterie, pralines en proeverijen.",
    }),
    _Sector("Énergie citoyenne", {
        "fr": "Coopérative citoyenne qui investit dans l'éolien et le solaire du territoire et en "
        "partage les bénéfices avec ses coopérateurs.",
        "nl": "Burgercoöperatie die investeert in wind- en zonne-energie in de streek.",
        "en": "Citizens' cooperative investing in local wind and solar power.",
    }, forms=("SC",), needs=(_N.VISIBILITY, _N.FUNDING, _N.VOLUNTEERS)),
    _Sector("Boucherie", {
        "fr": "Boucherie-charcuterie : viandes de races locales et préparations maison.",
    }),
    _Sector("Parcs et jardins", {
        "fr": "Entretien de jardins, plantation de haies et gestion différenciée des espaces "
        "verts.",
    }, needs=(_N.TRAINING, _N.VISIBILITY)),
)

_PLACES = (
    "du Geer", "de la Mehaigne", "des Tilleuls", "du Moulin", "de la Burdinale",
    "du Vieux Chêne", "des Blés d'Or", "du Tige", "des Trois Chênes", "de la Source",
    "du Bosquet", "des Coquelicots", "du Long Pré", "de la Chapelle", "des Alouettes",
    "du Sart", "de la Tour", "du Pachy", "des Saules", "du Plateau",
)  # fmt: skip


@dataclass(frozen=True)
class _Organisation:
    """An association, citizen initiative or public body: a name and a description pattern
    ({de}, {a}, {commune}, {commune_nl}), and whether it also gets a BCE number."""

    name: str
    description: T
    needs: tuple[StakeholderNeed, ...] = ()
    numbered: bool = True


_ASSOCIATIONS: tuple[_Organisation, ...] = (
    _Organisation("Les Amis du patrimoine {de}", {
        "fr": "Sauvegarde et mise en valeur du petit patrimoine {de} : chapelles, potales et "
        "fermes en carré.",
    }, (_N.VOLUNTEERS, _N.FUNDING)),
    _Organisation("Comité des fêtes {de}", {
        "fr": "Organisation de la fête de village, du marché de Noël et des brocantes {de}.",
        "nl": "Organisatie van het dorpsfeest, de kerstmarkt en de rommelmarkten in {commune_nl}.",
    }, (_N.VOLUNTEERS, _N.VISIBILITY)),
    _Organisation("Cercle d'histoire {de}", {
        "fr": "Recherches et publications sur l'histoire locale, archives et expositions.",
    }, (_N.DIGITAL_TOOLS, _N.VOLUNTEERS)),
    _Organisation("Maison des jeunes {de}", {
        "fr": "Accueil des 12-26 ans {a}, ateliers créatifs et projets citoyens.",
        "en": "Youth centre in {commune} for 12 to 26 year-olds: creative workshops and citizen "
        "projects.",
    }, (_N.FUNDING, _N.TRAINING)),
    _Organisation("Centre culturel {de}", {
        "fr": "Programmation culturelle, ateliers d'expression et soutien aux artistes locaux.",
        "nl": "Cultureel programma, creatieve ateliers en steun aan lokale kunstenaars.",
    }, (_N.VISIBILITY, _N.DIGITAL_TOOLS)),
    _Organisation("Les Sentiers {de}", {
        "fr": "Réhabilitation, entretien et balisage des sentiers et chemins vicinaux {de}.",
    }, (_N.VOLUNTEERS,)),
    _Organisation("Entraide {commune}", {
        "fr": "Aide alimentaire, vestiaire solidaire et visites aux personnes isolées.",
    }, (_N.VOLUNTEERS, _N.FUNDING)),
    _Organisation("Les Aînés {de}", {
        "fr": "Club des aînés : excursions, goûters, cours de gym douce et d'informatique.",
    }, (_N.DIGITAL_TOOLS, _N.TRAINING)),
    _Organisation("École de devoirs {de}", {
        "fr": "Soutien scolaire et activités pour les enfants de 6 à 15 ans après l'école.",
    }, (_N.VOLUNTEERS, _N.FUNDING)),
    _Organisation("Hesbaye Nature, section {de}", {
        "fr": "Inventaires de la biodiversité, plantation de haies et sauvetage des batraciens.",
        "en": "Biodiversity surveys, hedge planting and toad rescue.",
    }, (_N.VOLUNTEERS, _N.VISIBILITY)),
    _Organisation("Ciné-club {de}", {
        "fr": "Projections mensuelles de films d'auteur suivies de débats.",
    }, (_N.VISIBILITY,)),
    _Organisation("Ludothèque {de}", {
        "fr": "Prêt de jeux de société et soirées jeux pour toutes les générations.",
    }, (_N.VOLUNTEERS,)),
    _Organisation("Association des commerçants {de}", {
        "fr": "Union des commerçants et indépendants {de} : animations, chèques commerce local "
        "et braderie annuelle.",
        "nl": "Vereniging van handelaars en zelfstandigen uit {commune_nl}.",
    }, (_N.VISIBILITY, _N.DIGITAL_TOOLS, _N.NETWORKING)),
    _Organisation("Syndicat d'initiative {de}", {
        "fr": "Accueil des visiteurs, balades guidées et promotion du patrimoine {de}.",
        "nl": "Toerismebureau van {commune_nl}: onthaal, geleide wandelingen en erfgoed.",
        "en": "Tourist office of {commune}: visitor welcome, guided walks and heritage.",
    }, (_N.VISIBILITY, _N.DIGITAL_TOOLS)),
    _Organisation("Vélo Club {de}", {
        "fr": "Sorties à vélo chaque dimanche et promotion du vélo au quotidien.",
    }, (_N.VISIBILITY,)),
    _Organisation("Théâtre des Tréteaux {de}", {
        "fr": "Troupe de théâtre amateur en français et en wallon.",
    }, (_N.VISIBILITY, _N.VOLUNTEERS)),
)

_CITIZEN_INITIATIVES: tuple[_Organisation, ...] = (
    _Organisation("Repair café {de}", {
        "fr": "Une fois par mois, des bénévoles réparent avec les habitants petit électroménager, "
        "vêtements et vélos.",
        "en": "Once a month, volunteers fix small appliances, clothes and bikes with residents.",
    }, (_N.VOLUNTEERS, _N.VISIBILITY), numbered=False),
    _Organisation("Potager collectif {de}", {
        "fr": "Un potager partagé où voisins et écoles cultivent ensemble légumes et aromatiques.",
    }, (_N.VOLUNTEERS, _N.FUNDING), numbered=False),
    _Organisation("GAC {de}", {
        "fr": "Groupe d'achat commun : commandes groupées chaque semaine auprès des producteurs de "
        "la région.",
        "nl": "Aankoopgroep: wekelijkse gezamenlijke bestellingen bij producenten uit de streek.",
    }, (_N.DIGITAL_TOOLS, _N.VISIBILITY), numbered=False),
    _Organisation("{commune} en transition", {
        "fr": "Initiative de transition : soupe populaire, grainothèque, ateliers zéro déchet et "
        "réflexion sur l'autonomie alimentaire et énergétique du village.",
        "en": "Transition town initiative: seed library, zero-waste workshops and local food "
        "and energy projects.",
    }, (_N.VISIBILITY, _N.NETWORKING), numbered=False),
    _Organisation("Donnerie {de}", {
        "fr": "Un samedi par trimestre, on donne et on emporte gratuitement objets et vêtements.",
    }, (_N.VOLUNTEERS,), numbered=False),
    _Organisation("Fablab citoyen {de}", {
        "fr": "Atelier partagé : imprimantes 3D, découpe laser et initiation à la programmation.",
        "en": "Community makerspace: 3D printers, laser cutter and coding for beginners.",
    }, (_N.FUNDING, _N.TRAINING, _N.VOLUNTEERS), numbered=False),
    _Organisation("Café numérique {de}", {
        "fr": "Des bénévoles aident les aînés à utiliser smartphone, courriel et services en "
        "ligne.",
        "nl": "Vrijwilligers helpen senioren met smartphone, e-mail en onlinediensten.",
    }, (_N.VOLUNTEERS, _N.DIGITAL_TOOLS), numbered=False),
    _Organisation("Collectif zéro déchet {de}", {
        "fr": "Ateliers pratiques, défis familles et cartographie des commerces en vrac.",
    }, (_N.VISIBILITY,), numbered=False),
    _Organisation("Voisins solidaires {de}", {
        "fr": "Réseau d'entraide entre voisins : courses, petits travaux et covoiturage.",
    }, (_N.VOLUNTEERS, _N.DIGITAL_TOOLS), numbered=False),
    _Organisation("Les Incroyables Comestibles {de}", {
        "fr": "Bacs potagers en libre-service sur les places du village : plantez, arrosez, "
        "partagez.",
    }, (_N.VOLUNTEERS,), numbered=False),
    _Organisation("Grainothèque {de}", {
        "fr": "Échange de semences locales et reproductibles à la bibliothèque.",
    }, (_N.VISIBILITY,), numbered=False),
    _Organisation("Covoit' {commune}", {
        "fr": "Groupe de covoiturage et points-stop entre les villages et la gare.",
    }, (_N.DIGITAL_TOOLS, _N.VISIBILITY), numbered=False),
)

_ADL: T = {
    "fr": "L'Agence de Développement Local soutient commerçants, indépendants et entreprises {de} "
    ": accompagnement, mise en réseau et animations économiques.",
    "nl": "Het Agentschap voor Lokale Ontwikkeling ondersteunt handelaars, zelfstandigen en "
    "bedrijven in {commune_nl}.",
    "en": "The local development agency supports shops, the self-employed and businesses in "
    "{commune}.",
}
_CPAS: T = {
    "fr": "Le Centre public d'action sociale {de} : aide sociale, insertion, aide alimentaire et "
    "services aux aînés.",
}
_ALE: T = {
    "fr": "L'Agence locale pour l'emploi {de} met en relation demandeurs d'emploi et "
    "particuliers, associations ou commune pour des activités de proximité.",
}
#: Public bodies and partners: (name, description, NIS codes it acts in, numbered).
_PUBLIC_BODIES: tuple[tuple[str, T, tuple[str, ...], bool], ...] = (
    ("Terres Connectées ASBL", {
        "fr": "Association (fictive) qui accompagne les communes rurales dans leurs projets de "
        "territoire intelligent : données ouvertes, capteurs, outils collaboratifs et formation "
        "des agents.",
        "nl": "(Fictieve) vzw die landelijke gemeenten begeleidt bij slimme-regioprojecten: open "
        "data, sensoren, samenwerkingstools en opleiding van medewerkers.",
        "en": "A (fictional) non-profit that helps rural municipalities with smart-territory "
        "projects: open data, sensors, collaborative tools and staff training.",
    }, ("92003", "64034", "92035"), True),
    ("Agence de Développement Local {de}", _ADL, ("64034",), False),
    ("Agence de Développement Local {de}", _ADL, ("92003",), False),
    ("Maison du tourisme Hesbaye-Meuse", {
        "fr": "Promotion touristique du territoire : balades, hébergements, produits du terroir et "
        "agenda des événements.",
        "en": "Tourism promotion for the area: walks, accommodation, local produce and events.",
    }, ("64034", "92003", "61028"), True),
    ("Agence de Développement Local {de}", _ADL, ("92035",), False),
    ("CPAS {de}", _CPAS, ("64075",), False),
    ("Agence de Développement Local de Braives-Burdinne", _ADL, ("64015", "61010"), False),
    ("CPAS {de}", _CPAS, ("92003",), False),
    ("Partenariat rivière Mehaigne", {
        "fr": "Partenariat entre communes, agriculteurs et associations pour la qualité de l'eau "
        "et la lutte contre les coulées boueuses dans le bassin de la Mehaigne.",
    }, ("64075", "64015", "61028"), True),
    ("CPAS {de}", _CPAS, ("61028",), False),
    ("ALE {de}", _ALE, ("92138",), False),
    ("CPAS {de}", _CPAS, ("64034",), False),
    # Beyond scale 1: the other communes' CPAS and ALE.
    *(("CPAS {de}", _CPAS, (code,), False) for code in ("61010", "64015", "92138", "92035")),
    *(
        ("ALE {de}", _ALE, (code,), False)
        for code in ("64034", "64075", "64015", "61010", "61028", "92003", "92035")
    ),
)

_ADMINISTRATION: T = {
    "fr": "L'administration communale {de} : services à la population, état civil, urbanisme, "
    "travaux et suivi du Programme stratégique transversal 2025-2030.",
    "nl": "Het gemeentebestuur van {commune_nl}: dienstverlening aan de burger, burgerlijke stand, "
    "stedenbouw, openbare werken en opvolging van het strategisch programma 2025-2030.",
    "en": "The municipal administration of {commune}: citizen services, civil registry, "
    "planning, public works and the 2025-2030 cross-cutting strategic programme (PST).",
}

_GIVEN_NAMES_F = (
    "Marie", "Sophie", "Julie", "Anne", "Catherine", "Isabelle", "Nathalie", "Aurélie", "Céline",
    "Émilie", "Charlotte", "Camille", "Laura", "Pauline", "Valérie", "Françoise", "Christine",
    "Manon", "Élise", "Sarah", "Martine", "Virginie", "Delphine", "Hélène",
)  # fmt: skip
_GIVEN_NAMES_M = (
    "Julien", "Thomas", "Nicolas", "Maxime", "Antoine", "Olivier", "Benoît", "Pierre", "Luc",
    "Marc", "Philippe", "Vincent", "François", "Jean-Marc", "Laurent", "Damien", "Sébastien",
    "Arnaud", "Hugo", "Louis", "Martin", "Cédric", "Grégory", "Didier",
)  # fmt: skip
_FAMILY_NAMES = (
    "Lambert", "Dubois", "Martin", "Lejeune", "Renard", "Dupont", "Lemaire", "Laurent", "Simon",
    "Leclercq", "Mathieu", "Jacquet", "François", "Henrard", "Collard", "Gilson", "Hardy",
    "Delvaux", "Piette", "Massart", "Lecocq", "Warnier", "Detry", "Bodart", "Marchal", "Goffin",
    "Jadot", "Thiry", "Gérard", "Pirard", "Hubert", "Servais", "Noël", "Dethier", "Dumont",
    "Mertens", "Wauters", "Lhoest", "Jamar", "Closset", "Hanquet", "Moreau", "Remacle", "Stassart",
)  # fmt: skip

#: Job titles by kind of organisation, (masculine, feminine); the first is the usual first contact.
_JOB_TITLES: dict[StakeholderKind, tuple[tuple[str, str], ...]] = {
    StakeholderKind.COMMUNE_ADMINISTRATION: (
        ("Directeur général", "Directrice générale"),
        ("Chef de projet PST", "Cheffe de projet PST"),
        ("Responsable de la communication", "Responsable de la communication"),
        ("Conseiller en mobilité", "Conseillère en mobilité"),
        ("Écopasseur", "Écopasseuse"),
        ("Responsable informatique", "Responsable informatique"),
    ),
    StakeholderKind.ENTERPRISE: (
        ("Gérant", "Gérante"),
        ("Fondateur", "Fondatrice"),
        ("Responsable commercial", "Responsable commerciale"),
        ("Administrateur délégué", "Administratrice déléguée"),
    ),
    StakeholderKind.ASSOCIATION: (
        ("Président", "Présidente"),
        ("Coordinateur", "Coordinatrice"),
        ("Secrétaire", "Secrétaire"),
        ("Trésorier", "Trésorière"),
        ("Animateur", "Animatrice"),
    ),
    StakeholderKind.CITIZEN_INITIATIVE: (
        ("Membre fondateur", "Membre fondatrice"),
        ("Bénévole référent", "Bénévole référente"),
        ("Coordinateur bénévole", "Coordinatrice bénévole"),
    ),
    StakeholderKind.PUBLIC_BODY: (
        ("Directeur", "Directrice"),
        ("Agent de développement local", "Agente de développement local"),
        ("Chargé de projets", "Chargée de projets"),
        ("Assistant social", "Assistante sociale"),
    ),
}
_SMART_CITY_MANAGER_COMMUNE = "92003"  # Andenne has a smart city manager (see the glossary)


# --- The communes' PST: strategic objectives -> operational objectives -> actions ----------

_PST: dict[str, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "administration": (
        "Être une administration moderne, efficace et proche de ses citoyens",
        (
            ("Moderniser la gestion interne et les outils de l'administration", (
                "Déployer un logiciel de gestion du courrier et des délibérations",
                "Dématérialiser les bons de commande et les factures",
                "Mettre en place un tableau de bord de suivi du PST",
                "Former les chefs de service à la gestion de projet",
            )),
            ("Améliorer l'accueil et l'information du citoyen", (
                "Réaménager le guichet d'accueil de la maison communale",
                "Refondre le site internet communal",
                "Publier un bulletin communal trimestriel",
                "Organiser des permanences décentralisées dans les villages",
            )),
            ("Valoriser et fidéliser le personnel communal", (
                "Élaborer un plan de formation pluriannuel du personnel",
                "Encadrer le télétravail par un règlement",
                "Réaliser une enquête de bien-être au travail",
            )),
        ),
    ),
    "numerique": (
        "Être une commune connectée qui réussit sa transition numérique",
        (
            ("Développer les services en ligne", (
                "Ouvrir un guichet électronique pour les documents de population",
                "Permettre la prise de rendez-vous en ligne",
                "Proposer le paiement électronique de toutes les redevances",
                "Publier les données communales en données ouvertes",
            )),
            ("Réduire la fracture numérique", (
                "Créer un espace public numérique à la bibliothèque",
                "Organiser des formations au numérique pour les aînés",
                "Prêter des ordinateurs reconditionnés aux familles",
            )),
            ("Améliorer la connectivité du territoire", (
                "Cartographier les zones mal couvertes par le réseau mobile",
                "Installer un wifi public dans les lieux de rencontre",
                "Équiper les écoles communales de tableaux interactifs",
            )),
        ),
    ),
    "mobilite": (
        "Être une commune où l'on se déplace de manière sûre et durable",
        (
            ("Développer le réseau de mobilité douce", (
                "Aménager une liaison cyclable entre les villages et le centre",
                "Réhabiliter les sentiers et chemins vicinaux",
                "Installer des arceaux vélos aux arrêts de bus et aux écoles",
            )),
            ("Sécuriser les abords des écoles et les traversées de villages", (
                "Créer des zones 30 aux abords des écoles",
                "Placer des radars préventifs aux entrées de villages",
                "Aménager des plateaux ralentisseurs aux carrefours dangereux",
            )),
            ("Encourager les alternatives à la voiture individuelle", (
                "Lancer un réseau de covoiturage local",
                "Soutenir le service de taxi social",
                "Installer des bornes de recharge pour véhicules électriques",
                "Créer des points-stop sécurisés",
            )),
        ),
    ),
    "cohesion": (
        "Être une commune solidaire, où il fait bon vivre ensemble",
        (
            ("Renforcer les liens entre les générations", (
                "Installer un conseil consultatif communal des aînés",
                "Organiser des ateliers intergénérationnels",
                "Soutenir les repas communautaires",
            )),
            ("Soutenir la vie associative", (
                "Rénover la salle polyvalente",
                "Créer un guichet unique pour les associations",
                "Octroyer des subsides aux projets citoyens",
            )),
            ("Favoriser l'accès au logement", (
                "Créer des logements d'insertion",
                "Dresser l'inventaire des logements inoccupés",
                "Accompagner les jeunes ménages dans l'achat d'un premier logement",
            )),
        ),
    ),
    "environnement": (
        "Être une commune respectueuse de son environnement et engagée dans la transition "
        "énergétique",
        (
            ("Réduire la consommation d'énergie du patrimoine communal", (
                "Réaliser le cadastre énergétique des bâtiments communaux",
                "Isoler l'école communale",
                "Remplacer l'éclairage public par des luminaires LED",
                "Installer des panneaux photovoltaïques sur les toitures communales",
            )),
            ("Protéger et développer la biodiversité", (
                "Planter des haies indigènes le long des chemins agricoles",
                "Généraliser la gestion différenciée des espaces verts",
                "Créer des mares et des vergers communaux",
            )),
            ("Réduire et valoriser les déchets", (
                "Soutenir la création d'un repair café",
                "Installer des composts de quartier",
                "Lutter contre les dépôts clandestins",
                "Actualiser le plan d'action en faveur de l'énergie durable et du climat (PAEDC)",
            )),
        ),
    ),
    "economie": (
        "Être une commune qui soutient son économie locale et son agriculture",
        (
            ("Dynamiser le commerce de proximité", (
                "Créer des chèques commerce local",
                "Organiser un marché hebdomadaire de producteurs",
                "Réduire le nombre de cellules commerciales vides",
            )),
            ("Soutenir les circuits courts et l'agriculture", (
                "Développer un hall relais agricole",
                "Introduire des produits locaux dans les cantines scolaires",
                "Publier une carte des producteurs locaux",
            )),
            ("Accompagner les entrepreneurs", (
                "Ouvrir un espace de coworking",
                "Organiser des petits-déjeuners d'entreprises",
                "Soutenir la création d'une couveuse d'entreprises",
            )),
        ),
    ),
    "tourisme": (
        "Être une commune attractive, qui valorise son patrimoine et sa culture",
        (
            ("Valoriser le patrimoine bâti et naturel", (
                "Restaurer le petit patrimoine (potales, chapelles, pompes)",
                "Baliser des circuits de promenade thématiques",
                "Installer des panneaux d'interprétation",
            )),
            ("Développer l'offre touristique et culturelle", (
                "Soutenir les événements culturels locaux",
                "Créer une application de balades numériques",
                "Développer l'accueil des cyclotouristes le long du RAVeL",
            )),
        ),
    ),
    "participation": (
        "Être une commune qui associe ses citoyens aux décisions",
        (
            ("Développer la participation citoyenne", (
                "Lancer un budget participatif",
                "Ouvrir une plateforme de consultation en ligne",
                "Organiser des assemblées de village",
            )),
            ("Communiquer de manière transparente", (
                "Diffuser les séances du conseil communal en direct",
                "Publier les décisions du collège en ligne",
                "Créer un conseil communal des jeunes",
            )),
        ),
    ),
}


# --- Project templates --------------------------------------------------------------------


@dataclass(frozen=True)
class _IndicatorTemplate:
    name: T
    unit: str
    baseline: tuple[float, float]
    target: tuple[float, float]
    decimals: int = 0


@dataclass(frozen=True)
class _ProjectTemplate:
    """A kind of project. Texts are patterns: {de} ('de Hannut'), {a} ('à Hannut'),
    {commune} (French name), {commune_nl} (Dutch name)."""

    focus: ProjectFocus
    title: T
    summary: T
    description: T
    themes: tuple[str, ...]
    sdgs: tuple[int, ...]
    lead: tuple[StakeholderKind, ...]
    partners: tuple[StakeholderKind, ...]
    budget: tuple[int, int]
    months: tuple[int, int]
    pst: tuple[str, ...]
    indicators: tuple[_IndicatorTemplate, ...] = ()
    #: Held again every year: a second one in the same commune is an "édition".
    recurring: bool = False


_K = StakeholderKind
_GREEN, _BLUE = ProjectFocus.COLLABORATION, ProjectFocus.DIGITAL
_ADMIN, _ENT, _ASBL, _CIT, _PUB = (
    _K.COMMUNE_ADMINISTRATION, _K.ENTERPRISE, _K.ASSOCIATION, _K.CITIZEN_INITIATIVE, _K.PUBLIC_BODY
)  # fmt: skip


def _ind(
    fr: str, unit: str, baseline: tuple[float, float], target: tuple[float, float],
    *, en: str | None = None, nl: str | None = None, decimals: int = 0,
) -> _IndicatorTemplate:  # fmt: skip
    name = {"fr": fr} | ({"en": en} if en else {}) | ({"nl": nl} if nl else {})
    return _IndicatorTemplate(name, unit, baseline, target, decimals)


_PARTICIPANTS = _ind("Participants", "personnes", (0, 0), (80, 400),
                     en="Participants", nl="Deelnemers")  # fmt: skip
_VOLUNTEERS = _ind("Bénévoles actifs", "personnes", (0, 5), (12, 40),
                   en="Active volunteers", nl="Actieve vrijwilligers")  # fmt: skip

_TEMPLATES: tuple[_ProjectTemplate, ...] = (
    # --- green: collaboration & participation -----------------------------------------------
    _ProjectTemplate(
        _GREEN,
        {"fr": "Repair café {de}", "en": "Repair café in {commune}",
         "nl": "Repair café in {commune_nl}"},
        {"fr": "Un rendez-vous mensuel où des bénévoles réparent avec les habitants plutôt que de "
               "jeter.",
         "en": "A monthly meet-up where volunteers fix things with residents instead of throwing "
               "them away."},
        {"fr": "Chaque troisième samedi du mois, des réparateurs bénévoles accueillent les "
               "habitants {de} avec leurs objets en panne : petit électroménager, vêtements, "
               "vélos, ordinateurs. Le projet réduit les déchets, transmet des savoir-faire et "
               "crée du lien entre les générations."},
        ("economie-circulaire", "cohesion-sociale"), (11, 12), (_CIT, _ASBL), (_ADMIN, _ENT),
        (1_500, 12_000), (12, 36), ("environnement", "cohesion"),
        (_ind("Objets réparés", "objets", (0, 0), (150, 600), en="Items repaired",
              nl="Herstelde voorwerpen"),
         _ind("Déchets évités", "kg", (0, 0), (300, 1_500), en="Waste avoided"),
         _VOLUNTEERS),
        recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Potager collectif {de}"},
        {"fr": "Un potager partagé entre voisins, écoles et CPAS, ouvert à toutes et tous."},
        {"fr": "Sur un terrain communal mis à disposition, les habitants {de} cultivent ensemble "
               "légumes, petits fruits et aromatiques. Des ateliers de jardinage au naturel sont "
               "proposés aux écoles et une partie des récoltes rejoint l'épicerie sociale."},
        ("alimentation-locale", "cohesion-sociale", "biodiversite"), (2, 11, 15),
        (_CIT, _ASBL), (_ADMIN, _PUB, _ENT), (3_000, 25_000), (12, 48), ("cohesion", "economie"),
        (_ind("Parcelles cultivées", "parcelles", (0, 4), (15, 40), en="Plots in use"),
         _ind("Récoltes", "kg", (0, 0), (400, 2_500), en="Harvest"),
         _VOLUNTEERS),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Groupe d'achat commun {de}", "en": "Joint purchasing group in {commune}"},
        {"fr": "Des ménages qui commandent ensemble, chaque semaine, aux producteurs de la "
               "région."},
        {"fr": "Le groupe d'achat commun rassemble des ménages {de} qui passent commande chaque "
               "semaine auprès de producteurs situés à moins de 30 km. La distribution a lieu le "
               "vendredi soir dans une salle communale, tenue à tour de rôle par les membres."},
        ("alimentation-locale", "economie-locale"), (2, 12), (_CIT,), (_ENT, _ENT, _ADMIN),
        (500, 6_000), (12, 48), ("economie",),
        (_ind("Ménages membres", "ménages", (5, 15), (40, 90), en="Member households",
              nl="Aangesloten gezinnen"),
         _ind("Producteurs partenaires", "producteurs", (2, 5), (8, 20), en="Partner producers"),
         _ind("Ventes aux producteurs", "EUR", (0, 0), (15_000, 80_000), en="Sales to producers")),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Marché des producteurs locaux {de}", "nl": "Boerenmarkt in {commune_nl}",
         "en": "Local farmers' market in {commune}"},
        {"fr": "Un marché du terroir en fin de journée, chaque vendredi de mai à octobre.",
         "nl": "Een streekmarkt op vrijdagavond, van mei tot oktober."},
        {"fr": "Producteurs, artisans et associations {de} se retrouvent sur la place pour un "
               "marché du terroir convivial, avec petite restauration et animations. L'ADL "
               "coordonne les exposants et la commune assure la logistique."},
        ("alimentation-locale", "economie-locale", "cohesion-sociale"), (2, 8, 12),
        (_PUB, _ADMIN), (_ENT, _ENT, _ASBL), (4_000, 30_000), (6, 24), ("economie",),
        (_ind("Exposants", "exposants", (8, 15), (20, 45), en="Stallholders",
              nl="Standhouders"),
         _ind("Visiteurs par marché", "visiteurs", (150, 300), (400, 1_200),
              en="Visitors per market")),
        recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Plantation de haies indigènes {a}", "nl": "Aanplant van inheemse hagen in "
         "{commune_nl}"},
        {"fr": "Des kilomètres de haies plantées avec les agriculteurs, les écoles et les "
               "riverains.",
         "nl": "Kilometers hagen, aangeplant met landbouwers, scholen en buurtbewoners."},
        {"fr": "Les haies freinent les coulées boueuses, abritent la petite faune et relient les "
               "bosquets de la plaine agricole. Le projet fournit les plants (aubépine, "
               "charme, noisetier, prunellier) et organise des chantiers de plantation ouverts à "
               "tous {a}."},
        ("biodiversite", "agriculture", "climat"), (13, 15), (_ASBL, _ADMIN, _PUB),
        (_ENT, _ADMIN, _CIT), (8_000, 60_000), (12, 36), ("environnement",),
        (_ind("Haies plantées", "m", (0, 0), (1_000, 8_000), en="Hedges planted",
              nl="Aangeplante hagen"),
         _ind("Exploitations participantes", "exploitations", (0, 2), (6, 20),
              en="Participating farms"),
         _VOLUNTEERS),
        recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Budget participatif {de}", "en": "Participatory budget of {commune}"},
        {"fr": "Les habitants proposent et votent des projets pour leur quartier.",
         "en": "Residents propose and vote on projects for their neighbourhood."},
        {"fr": "La commune consacre une enveloppe annuelle à des projets imaginés par les "
               "habitants {de}. Les idées sont déposées au printemps, analysées par les services, "
               "puis soumises au vote de la population à l'automne."},
        ("participation", "cohesion-sociale"), (11, 16), (_ADMIN,), (_ASBL, _CIT, _PUB),
        (25_000, 120_000), (10, 24), ("participation", "cohesion"),
        (_ind("Projets déposés", "projets", (0, 0), (15, 60), en="Proposals submitted"),
         _ind("Votants", "personnes", (0, 0), (300, 1_500), en="Voters", nl="Stemmers"),
         _ind("Budget engagé", "EUR", (0, 0), (25_000, 100_000), en="Budget committed")),
        recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Conseil communal des jeunes {de}"},
        {"fr": "Des élèves de 5e et 6e primaire élus pour porter leurs projets à la commune."},
        {"fr": "Élus par leurs camarades, les jeunes conseillers {de} se réunissent chaque mois, "
               "rencontrent le collège et réalisent un projet par an : aménagement d'une plaine "
               "de jeux, action propreté, boîte à livres."},
        ("participation", "jeunesse"), (4, 16), (_ADMIN, _ASBL), (_ASBL, _PUB), (2_000, 10_000),
        (12, 24), ("participation",), (_PARTICIPANTS,), recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Points-stop et covoiturage solidaire {a}"},
        {"fr": "Des arrêts d'autostop sécurisés et un réseau de conducteurs solidaires entre les "
               "villages."},
        {"fr": "Pour rejoindre la gare, le centre ou les zonings sans voiture, le projet installe "
               "des points-stop balisés {a} et met en relation habitants sans voiture et "
               "conducteurs volontaires, avec une charte et une assurance."},
        ("mobilite", "cohesion-sociale"), (10, 11, 13), (_CIT, _PUB), (_ADMIN, _ASBL),
        (3_000, 20_000), (12, 36), ("mobilite",),
        (_ind("Points-stop installés", "points-stop", (0, 0), (6, 20), en="Hitchhiking stops"),
         _ind("Trajets partagés", "trajets/mois", (0, 10), (60, 250), en="Shared rides per month")),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Réhabilitation des sentiers vicinaux {de}", "nl": "Herwaardering van de trage "
         "wegen in {commune_nl}"},
        {"fr": "Rouvrir, entretenir et baliser les petits chemins qui relient les villages."},
        {"fr": "Avec des bénévoles et le service travaux, les sentiers vicinaux {de} sont "
               "inventoriés, débroussaillés et balisés. Ils offrent des itinéraires sûrs vers "
               "l'école et la promenade, et un refuge pour la biodiversité."},
        ("mobilite", "tourisme", "participation"), (3, 11, 15), (_ASBL, _ADMIN), (_CIT, _PUB),
        (5_000, 40_000), (12, 48), ("mobilite", "tourisme"),
        (_ind("Sentiers rouverts", "km", (0, 2), (8, 30), en="Paths reopened", decimals=1),
         _VOLUNTEERS),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Produits locaux dans les cantines scolaires {de}",
         "en": "Local food in the school canteens of {commune}"},
        {"fr": "Des repas scolaires préparés avec les fruits, légumes et produits laitiers du "
               "territoire."},
        {"fr": "La commune revoit son cahier des charges pour les repas des écoles communales "
               "{de} : lots réservés aux producteurs locaux, menus de saison et visites de fermes "
               "pour les élèves."},
        ("alimentation-locale", "education", "economie-locale"), (2, 4, 12), (_ADMIN,),
        (_ENT, _ENT, _PUB), (10_000, 80_000), (12, 36), ("economie",),
        (_ind("Part de produits locaux", "%", (5, 15), (35, 60), en="Share of local produce",
              nl="Aandeel lokale producten", decimals=1),
         _ind("Repas servis", "repas/an", (20_000, 60_000), (25_000, 70_000),
              en="Meals served per year")),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Communauté d'énergie renouvelable {de}", "nl": "Hernieuwbare "
         "energiegemeenschap in {commune_nl}", "en": "Renewable energy community of {commune}"},
        {"fr": "Produire et partager localement l'électricité des toitures solaires.",
         "nl": "Lokaal zonnestroom opwekken en delen.",
         "en": "Producing and sharing solar electricity locally."},
        {"fr": "Habitants, commune et entreprises {de} mettent en commun la production de "
               "panneaux photovoltaïques installés sur des toitures publiques et privées, et "
               "partagent l'électricité produite au sein de la communauté d'énergie."},
        ("energie", "climat", "participation"), (7, 11, 13), (_ENT, _CIT), (_ADMIN, _ENT, _PUB),
        (60_000, 450_000), (18, 48), ("environnement",),
        (_ind("Production photovoltaïque", "MWh/an", (0, 20), (150, 600),
              en="Solar production", nl="Zonnestroomproductie", decimals=1),
         _ind("Ménages participants", "ménages", (0, 10), (60, 250), en="Participating "
              "households")),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Achat groupé d'isolation et de châssis {a}"},
        {"fr": "Des devis négociés ensemble pour rénover les maisons à moindre coût."},
        {"fr": "L'écopasseur communal {de} accompagne les ménages inscrits : visite de conseil, "
               "cahier des charges commun, sélection d'entrepreneurs locaux et suivi des primes "
               "régionales à la rénovation."},
        ("energie", "logement"), (7, 11, 13), (_ADMIN, _PUB), (_ENT, _ENT), (5_000, 30_000),
        (9, 24), ("environnement", "cohesion"),
        (_ind("Ménages inscrits", "ménages", (0, 0), (40, 150), en="Households enrolled"),
         _ind("Économies d'énergie estimées", "MWh/an", (0, 0), (80, 400),
              en="Estimated energy savings", decimals=1)),
        recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Petits-déjeuners des entreprises {de}", "en": "Business breakfasts in {commune}"},
        {"fr": "Un petit déjeuner rural par trimestre pour que les entreprises se rencontrent."},
        {"fr": "Chaque trimestre, l'ADL invite les indépendants et dirigeants d'entreprise {de} "
               "autour d'un petit déjeuner de produits locaux, avec une courte intervention "
               "(numérique, marchés publics, recrutement) et beaucoup d'échanges."},
        ("economie-locale", "participation"), (8, 17), (_PUB,), (_ENT, _ENT, _ADMIN),
        (1_000, 8_000), (12, 24), ("economie",),
        (_ind("Entreprises participantes", "entreprises", (0, 10), (30, 80),
              en="Participating businesses", nl="Deelnemende bedrijven"),),
        recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Fête de la ruralité {a}"},
        {"fr": "Une journée à la ferme et au village pour découvrir le monde rural."},
        {"fr": "Portes ouvertes des fermes, marché du terroir, balades commentées et "
               "démonstrations de métiers : la fête de la ruralité {de} fait découvrir "
               "l'agriculture et les savoir-faire locaux à toutes les générations."},
        ("agriculture", "tourisme", "cohesion-sociale"), (2, 11), (_ASBL,),
        (_ENT, _ADMIN, _PUB, _CIT), (5_000, 25_000), (4, 10), ("tourisme", "economie"),
        (_ind("Visiteurs", "visiteurs", (0, 0), (1_000, 5_000), en="Visitors",
              nl="Bezoekers"),),
        recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Ateliers intergénérationnels {a}"},
        {"fr": "Aînés et enfants cuisinent, jardinent et bricolent ensemble."},
        {"fr": "En partenariat avec les écoles et la maison de repos, des ateliers "
               "hebdomadaires réunissent aînés et enfants {de} autour de la cuisine, du jardin, "
               "des jeux et des souvenirs du village."},
        ("cohesion-sociale", "aines"), (3, 10), (_PUB, _ASBL), (_ADMIN, _ASBL, _CIT),
        (2_000, 15_000), (12, 36), ("cohesion",), (_PARTICIPANTS, _VOLUNTEERS),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Défi zéro déchet des familles {de}", "en": "Zero-waste challenge for families "
         "in {commune}"},
        {"fr": "Des familles accompagnées pendant un an pour réduire leurs déchets."},
        {"fr": "Pesées mensuelles, ateliers pratiques (produits ménagers, compost, courses en "
               "vrac) et échanges d'astuces : les familles {de} engagées dans le défi réduisent "
               "leurs déchets résiduels et partagent leur expérience."},
        ("economie-circulaire", "environnement"), (12, 13), (_CIT, _ADMIN), (_ASBL, _ENT, _PUB),
        (2_000, 12_000), (10, 14), ("environnement",),
        (_ind("Familles participantes", "familles", (0, 0), (20, 60), en="Families taking part"),
         _ind("Réduction des déchets résiduels", "%", (0, 0), (20, 45), en="Residual waste "
              "reduction", decimals=1)),
        recurring=True,
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Vergers et mares pédagogiques {a}"},
        {"fr": "Un verger de variétés anciennes et une mare, créés avec les écoles."},
        {"fr": "Sur un terrain communal {de}, élèves et bénévoles plantent des variétés "
               "fruitières anciennes et creusent une mare. Le site devient une classe en plein "
               "air et un relais pour les batraciens et les pollinisateurs."},
        ("biodiversite", "education"), (4, 15), (_ASBL, _ADMIN), (_CIT, _ENT, _PUB),
        (5_000, 35_000), (12, 30), ("environnement",),
        (_ind("Arbres fruitiers plantés", "arbres", (0, 0), (30, 120), en="Fruit trees planted"),
         _ind("Classes accueillies", "classes", (0, 0), (10, 40), en="School classes hosted")),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Restauration participative du petit patrimoine {de}"},
        {"fr": "Chapelles, potales et pompes restaurées avec les habitants."},
        {"fr": "Le cercle d'histoire et des bénévoles recensent le petit patrimoine {de}, puis "
               "restaurent chaque année quelques éléments avec l'aide d'artisans locaux et de "
               "subsides régionaux."},
        ("patrimoine", "tourisme", "participation"), (11,), (_ASBL,), (_ADMIN, _ENT, _PUB),
        (5_000, 50_000), (12, 48), ("tourisme",),
        (_ind("Éléments restaurés", "éléments", (0, 0), (5, 20), en="Items restored"),
         _VOLUNTEERS),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Tiers-lieu et espace de coworking {a}", "en": "Third place and coworking space "
         "in {commune}"},
        {"fr": "Un lieu partagé pour télétravailler, entreprendre et se rencontrer.",
         "en": "A shared place to work remotely, start a business and meet."},
        {"fr": "Dans un ancien bâtiment communal rénové {a}, le tiers-lieu propose des postes de "
               "coworking, une salle de réunion, un café associatif et des permanences de "
               "l'ADL pour les porteurs de projets."},
        ("economie-locale", "cohesion-sociale"), (8, 9, 11), (_PUB, _ADMIN), (_ENT, _ASBL),
        (40_000, 300_000), (18, 48), ("economie",),
        (_ind("Coworkers réguliers", "personnes", (0, 0), (10, 40), en="Regular coworkers"),
         _ind("Taux d'occupation", "%", (0, 0), (45, 80), en="Occupancy rate", decimals=1)),
    ),
    _ProjectTemplate(
        _GREEN,
        {"fr": "Vélo-école et rangs vélo vers les écoles {de}"},
        {"fr": "Apprendre à rouler en sécurité et aller à l'école à vélo, en groupe."},
        {"fr": "Des moniteurs bénévoles apprennent aux enfants et aux adultes à circuler à vélo, "
               "puis encadrent des rangs vélo hebdomadaires vers les écoles {de}."},
        ("mobilite", "education"), (3, 11, 13), (_ASBL, _CIT), (_ADMIN, _ENT), (2_000, 15_000),
        (9, 24), ("mobilite",),
        (_ind("Élèves venant à vélo", "élèves/jour", (2, 10), (25, 80),
              en="Pupils cycling to school", nl="Leerlingen met de fiets"),
         _VOLUNTEERS),
    ),
    # --- blue: digital & technology -------------------------------------------------------
    _ProjectTemplate(
        _BLUE,
        {"fr": "Guichet électronique {de}", "nl": "Elektronisch loket van {commune_nl}",
         "en": "Online services desk of {commune}"},
        {"fr": "Les documents de population et d'état civil demandés et payés en ligne.",
         "nl": "Bevolkingsdocumenten en akten online aanvragen en betalen.",
         "en": "Requesting and paying for civil documents online."},
        {"fr": "Le guichet électronique {de} permet de demander en ligne, avec la carte "
               "d'identité ou itsme, les extraits d'actes, certificats de résidence et "
               "compositions de ménage, de les payer et de les recevoir par courriel.",
         "en": "The online desk of {commune} lets residents request certificates with their "
               "electronic ID, pay for them and receive them by e-mail."},
        ("numerique", "administration"), (9, 16), (_ADMIN,), (_ENT, _PUB), (15_000, 90_000),
        (9, 24), ("numerique", "administration"),
        (_ind("Démarches en ligne", "démarches/mois", (0, 20), (200, 800),
              en="Online requests per month", nl="Online aanvragen per maand"),
         _ind("Part des demandes en ligne", "%", (0, 5), (40, 70),
              en="Share of requests made online", decimals=1)),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Données ouvertes {de}", "en": "Open data of {commune}"},
        {"fr": "Publier les données communales, documentées et réutilisables, sur le portail "
               "régional.",
         "en": "Publishing the municipality's data, documented and reusable, on the regional "
               "portal."},
        {"fr": "Budgets, subsides, équipements, agenda, marchés publics : la commune {de} publie "
               "ses données sous licence ouverte, décrites en DCAT-AP et moissonnées par le "
               "portail Open Data Wallonie-Bruxelles."},
        ("numerique", "donnees-ouvertes", "participation"), (9, 16, 17), (_ADMIN, _PUB),
        (_PUB, _ENT), (5_000, 40_000), (12, 36), ("numerique", "participation"),
        (_ind("Jeux de données publiés", "jeux de données", (0, 3), (20, 60),
              en="Datasets published", nl="Gepubliceerde datasets"),
         _ind("Téléchargements", "téléchargements/an", (0, 50), (1_000, 6_000),
              en="Downloads per year")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Éclairage public intelligent {a}", "en": "Smart street lighting in {commune}"},
        {"fr": "Des luminaires LED pilotés à distance, qui s'adaptent au passage."},
        {"fr": "Le remplacement des luminaires {de} par des LED connectées permet de moduler "
               "l'intensité la nuit, de repérer les pannes à distance et de préserver la faune "
               "nocturne le long des corridors écologiques."},
        ("energie", "numerique", "biodiversite"), (7, 11, 13), (_ADMIN,), (_ENT, _PUB),
        (80_000, 650_000), (12, 36), ("environnement", "numerique"),
        (_ind("Luminaires LED connectés", "luminaires", (0, 50), (600, 2_500),
              en="Connected LED lights"),
         _ind("Consommation de l'éclairage public", "MWh/an", (600, 1_400), (250, 550),
              en="Street lighting consumption", nl="Verbruik openbare verlichting",
              decimals=1)),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Capteurs citoyens de qualité de l'air {a}", "nl": "Burgersensoren voor "
         "luchtkwaliteit in {commune_nl}"},
        {"fr": "Des habitants équipés de capteurs mesurent les particules fines et publient les "
               "données."},
        {"fr": "Des capteurs à bas coût installés aux fenêtres des volontaires {de} mesurent les "
               "particules fines (PM2,5 et PM10). Les mesures sont publiées en données ouvertes "
               "et discutées lors de soirées d'échange avec la commune."},
        ("environnement", "numerique", "participation", "sante"), (3, 11), (_CIT, _PUB),
        (_ADMIN, _ASBL), (3_000, 20_000), (12, 36), ("environnement", "numerique"),
        (_ind("Capteurs actifs", "capteurs", (0, 0), (15, 60), en="Active sensors"),
         _ind("Concentration moyenne en PM2,5", "µg/m³", (12, 16), (8, 11),
              en="Average PM2.5 concentration", decimals=1)),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Formations au numérique pour les aînés {a}", "en": "Digital skills training for "
         "older people in {commune}"},
        {"fr": "Smartphone, courriel, banque en ligne et démarches administratives, pas à pas."},
        {"fr": "En petits groupes, les aînés {de} apprennent à utiliser leur smartphone, à "
               "échanger avec leurs proches, à effectuer leurs démarches en ligne et à déjouer "
               "les arnaques, avec des bénévoles formés."},
        ("numerique", "cohesion-sociale", "aines"), (4, 10), (_PUB, _ASBL, _CIT),
        (_ADMIN, _ASBL, _PUB), (2_000, 15_000), (6, 24), ("numerique", "cohesion"),
        (_ind("Personnes formées", "personnes", (0, 0), (40, 200), en="People trained",
              nl="Opgeleide personen"),
         _ind("Sessions organisées", "sessions", (0, 0), (10, 40), en="Sessions held")),
        recurring=True,
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Espace public numérique {de}"},
        {"fr": "Ordinateurs en libre accès et accompagnement numérique à la bibliothèque."},
        {"fr": "L'espace public numérique {de} met à disposition ordinateurs, imprimante et "
               "connexion, avec un animateur pour aider à rédiger un CV, remplir un formulaire "
               "en ligne ou découvrir les outils collaboratifs."},
        ("numerique", "cohesion-sociale"), (4, 9, 10), (_ADMIN, _PUB), (_ASBL, _ENT),
        (10_000, 60_000), (12, 36), ("numerique",),
        (_ind("Visites", "visites/mois", (0, 30), (150, 500), en="Visits per month"),),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Vitrine en ligne des commerçants {de}", "nl": "Online etalage voor de "
         "handelaars van {commune_nl}"},
        {"fr": "Une plateforme commune pour commander en ligne chez les commerçants du coin."},
        {"fr": "Avec l'ADL, les commerçants {de} partagent une boutique en ligne : catalogue, "
               "paiement, retrait en magasin ou livraison à vélo, et chèques commerce local "
               "utilisables en ligne."},
        ("economie-locale", "numerique"), (8, 9), (_PUB, _ASBL), (_ENT, _ENT, _ADMIN),
        (8_000, 50_000), (12, 24), ("economie", "numerique"),
        (_ind("Commerçants inscrits", "commerçants", (0, 5), (25, 70), en="Shops on board"),
         _ind("Commandes en ligne", "commandes/mois", (0, 10), (150, 600),
              en="Online orders per month")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Application de balades numériques {a}", "en": "Walking tour app for {commune}",
         "nl": "Wandelapp voor {commune_nl}"},
        {"fr": "Des circuits géolocalisés avec récits, photos d'archives et jeux pour les "
               "familles.",
         "en": "Geolocated walks with stories, archive photos and games for families."},
        {"fr": "Le cercle d'histoire, la maison du tourisme et une agence locale créent des "
               "balades numériques {de} : parcours hors ligne, points d'intérêt commentés et "
               "chasse au trésor pour les enfants."},
        ("tourisme", "numerique", "patrimoine"), (8, 11), (_PUB, _ASBL), (_ENT, _ASBL, _ADMIN),
        (10_000, 60_000), (9, 24), ("tourisme", "numerique"),
        (_ind("Téléchargements", "téléchargements", (0, 0), (1_000, 8_000), en="Downloads",
              nl="Downloads"),
         _ind("Circuits publiés", "circuits", (0, 0), (4, 15), en="Trails published")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Wifi public dans les lieux de rencontre {de}"},
        {"fr": "Un accès wifi gratuit sur les places, à la bibliothèque et au hall sportif."},
        {"fr": "Des bornes wifi gratuites, financées en partie par l'Union européenne, sont "
               "installées dans les lieux de rencontre {de} ; une page d'accueil présente "
               "l'agenda local et les services communaux."},
        ("numerique", "connectivite"), (9, 11), (_ADMIN,), (_ENT, _PUB), (15_000, 60_000),
        (6, 18), ("numerique",),
        (_ind("Bornes installées", "bornes", (0, 0), (8, 25), en="Access points installed"),
         _ind("Connexions", "connexions/mois", (0, 0), (2_000, 12_000),
              en="Connections per month")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Signalement en ligne des problèmes de voirie {a}", "en": "Online reporting of "
         "street issues in {commune}"},
        {"fr": "Nids-de-poule, dépôts clandestins, éclairage en panne : signaler en trois clics."},
        {"fr": "Une application permet aux habitants {de} de signaler, photo et position à "
               "l'appui, les problèmes rencontrés sur l'espace public, puis de suivre leur "
               "traitement par le service travaux."},
        ("numerique", "participation", "mobilite"), (11, 16), (_ADMIN,), (_ENT, _PUB),
        (5_000, 30_000), (9, 24), ("numerique", "participation", "administration"),
        (_ind("Signalements reçus", "signalements/mois", (0, 0), (40, 200),
              en="Reports received per month"),
         _ind("Signalements traités en moins de 15 jours", "%", (30, 50), (75, 95),
              en="Reports handled within 15 days", decimals=1)),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Plateforme de consultation citoyenne en ligne {de}"},
        {"fr": "Consulter les habitants sur les grands projets, en ligne et en réunion."},
        {"fr": "Une plateforme libre de participation permet à la commune {de} de recueillir "
               "avis et propositions sur ses projets (plan de mobilité, aménagement de places), "
               "en complément des réunions de village."},
        ("participation", "numerique"), (16,), (_ADMIN, _PUB), (_PUB, _ASBL, _ENT),
        (5_000, 35_000), (9, 24), ("participation", "numerique"),
        (_ind("Comptes citoyens", "comptes", (0, 0), (300, 1_500), en="Citizen accounts"),
         _ind("Contributions", "contributions", (0, 0), (200, 1_200), en="Contributions",
              nl="Bijdragen")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Cartographie du patrimoine communal {de}"},
        {"fr": "Voiries, bâtiments, espaces verts et réseaux réunis dans un système "
               "d'information géographique."},
        {"fr": "Les services {de} encodent dans un SIG l'inventaire des voiries, bâtiments, "
               "avaloirs, arbres et espaces verts, pour planifier l'entretien et publier des "
               "cartes en ligne."},
        ("numerique", "administration"), (9, 11), (_ADMIN,), (_ENT, _PUB), (10_000, 70_000),
        (12, 30), ("administration", "numerique"),
        (_ind("Couches cartographiques publiées", "couches", (0, 2), (12, 40),
              en="Map layers published"),),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Télérelève énergétique des bâtiments communaux {de}",
         "en": "Remote energy monitoring of the municipal buildings of {commune}"},
        {"fr": "Des compteurs connectés pour suivre et réduire les consommations."},
        {"fr": "Les bâtiments communaux {de} sont équipés de compteurs communicants. Un tableau "
               "de bord alerte en cas de surconsommation et aide l'écopasseur à prioriser les "
               "travaux d'isolation."},
        ("energie", "numerique"), (7, 13), (_ADMIN,), (_ENT, _PUB), (15_000, 80_000), (12, 24),
        ("environnement", "numerique"),
        (_ind("Bâtiments équipés", "bâtiments", (0, 0), (8, 25), en="Buildings equipped"),
         _ind("Consommation de gaz des bâtiments", "MWh/an", (900, 2_000), (600, 1_400),
              en="Gas consumption of buildings", nl="Gasverbruik van gebouwen", decimals=1)),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "École numérique {a}"},
        {"fr": "Tablettes, écrans interactifs et formation des enseignants."},
        {"fr": "Les écoles communales {de} reçoivent écrans interactifs et tablettes ; les "
               "enseignants sont formés et un référent numérique accompagne les projets de "
               "classe."},
        ("education", "numerique"), (4,), (_ADMIN,), (_ENT, _PUB, _ASBL), (20_000, 120_000),
        (12, 36), ("numerique",),
        (_ind("Classes équipées", "classes", (0, 3), (15, 40), en="Classrooms equipped"),
         _ind("Enseignants formés", "enseignants", (0, 0), (20, 60), en="Teachers trained")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Bornes de recharge pour véhicules électriques {a}", "nl": "Laadpalen voor "
         "elektrische voertuigen in {commune_nl}"},
        {"fr": "Des bornes publiques de recharge sur les parkings du centre et des villages."},
        {"fr": "La commune {de} installe, avec un opérateur, des bornes de recharge accessibles "
               "à tous, payables par carte, et suit leur utilisation pour planifier les "
               "suivantes."},
        ("mobilite", "energie"), (7, 11, 13), (_ADMIN,), (_ENT, _PUB), (20_000, 150_000),
        (6, 24), ("mobilite",),
        (_ind("Points de recharge", "points", (0, 2), (10, 40), en="Charging points",
              nl="Laadpunten"),
         _ind("Recharges", "recharges/mois", (0, 20), (300, 1_500), en="Charging sessions "
              "per month")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Réservation en ligne des salles communales {de}"},
        {"fr": "Voir les disponibilités, réserver et payer une salle en quelques clics."},
        {"fr": "Associations et habitants {de} consultent le calendrier des salles communales, "
               "réservent et paient en ligne ; les clés sont remplacées par des serrures "
               "connectées."},
        ("numerique", "cohesion-sociale"), (11, 16), (_ADMIN,), (_ENT, _ASBL), (8_000, 40_000),
        (6, 18), ("numerique", "cohesion"),
        (_ind("Réservations en ligne", "réservations/mois", (0, 0), (30, 120),
              en="Online bookings per month"),),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Plan de cybersécurité de l'administration {de}"},
        {"fr": "Sauvegardes, double authentification et sensibilisation du personnel."},
        {"fr": "Après un audit, l'administration {de} renforce sa sécurité informatique : "
               "sauvegardes hors site, authentification à deux facteurs, mises à jour "
               "centralisées et exercices de sensibilisation à l'hameçonnage."},
        ("numerique", "administration"), (9, 16), (_ADMIN,), (_ENT, _PUB), (10_000, 60_000),
        (6, 18), ("administration", "numerique"),
        (_ind("Agents sensibilisés", "agents", (0, 0), (40, 150), en="Staff trained"),
         _ind("Taux de clic lors des tests d'hameçonnage", "%", (20, 35), (3, 8),
              en="Phishing test click rate", decimals=1)),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Agenda partagé des associations {de}", "en": "Shared events calendar of "
         "{commune}"},
        {"fr": "Un agenda en ligne alimenté par les associations et diffusé partout.",
         "en": "An online calendar fed by local groups and shared everywhere."},
        {"fr": "Les associations {de} encodent elles-mêmes leurs activités dans un agenda "
               "commun, repris sur le site communal, dans le bulletin et en données ouvertes "
               "(iCal)."},
        ("numerique", "cohesion-sociale", "culture"), (11, 17), (_ADMIN, _ASBL), (_ASBL, _PUB),
        (3_000, 20_000), (6, 18), ("numerique", "cohesion"),
        (_ind("Associations contributrices", "associations", (0, 5), (30, 90),
              en="Contributing groups"),
         _ind("Événements publiés", "événements/an", (0, 50), (300, 900),
              en="Events published per year")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Réservation en ligne du taxi social {de}"},
        {"fr": "Réserver un trajet du taxi social par téléphone ou en ligne, et suivre sa "
               "course."},
        {"fr": "Le CPAS {de} modernise son taxi social : réservation en ligne ou par téléphone, "
               "planification des tournées et rappel par SMS la veille du rendez-vous."},
        ("mobilite", "numerique", "cohesion-sociale"), (10, 11), (_PUB, _ADMIN),
        (_ENT, _ASBL), (5_000, 30_000), (6, 18), ("mobilite", "cohesion"),
        (_ind("Trajets réalisés", "trajets/mois", (40, 120), (120, 300),
              en="Rides per month"),),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Inventaire participatif de la biodiversité {de}", "en": "Citizen biodiversity "
         "survey of {commune}"},
        {"fr": "Observer, photographier et encoder la faune et la flore avec une application.",
         "en": "Observing, photographing and recording wildlife with an app."},
        {"fr": "Sorties nature guidées et application d'encodage : les habitants {de} "
               "contribuent à l'inventaire de la biodiversité communale, dont les données "
               "orientent la gestion des bords de routes et des espaces verts."},
        ("biodiversite", "numerique", "participation"), (15, 17), (_ASBL, _CIT),
        (_ADMIN, _PUB), (2_000, 15_000), (12, 36), ("environnement", "numerique"),
        (_ind("Observations encodées", "observations", (0, 200), (2_000, 9_000),
              en="Observations recorded", nl="Ingevoerde waarnemingen"),
         _ind("Espèces recensées", "espèces", (50, 150), (300, 700), en="Species recorded")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Carte interactive des producteurs locaux {de}"},
        {"fr": "Où acheter en direct ? Une carte en ligne des fermes, marchés et points de "
               "vente."},
        {"fr": "Producteurs, distributeurs automatiques, marchés et groupes d'achat {de} sont "
               "réunis sur une carte en ligne, mise à jour par les producteurs eux-mêmes et "
               "publiée en données ouvertes."},
        ("alimentation-locale", "numerique", "economie-locale"), (2, 12), (_PUB, _ADMIN),
        (_ENT, _ENT, _CIT), (3_000, 20_000), (6, 18), ("economie", "numerique"),
        (_ind("Producteurs référencés", "producteurs", (0, 10), (40, 120),
              en="Producers listed"),
         _ind("Consultations de la carte", "consultations/mois", (0, 0), (500, 3_000),
              en="Map views per month")),
    ),
    _ProjectTemplate(
        _BLUE,
        {"fr": "Formations à la communication web des associations {de}"},
        {"fr": "Site, réseaux sociaux, outils collaboratifs : des formations pratiques pour les "
               "bénévoles."},
        {"fr": "Un cycle de formations pratiques aide les associations {de} à présenter leurs "
               "activités en ligne, à utiliser les réseaux sociaux avec discernement et à "
               "travailler avec des outils collaboratifs libres."},
        ("numerique", "participation"), (4, 17), (_PUB,), (_ADMIN, _ASBL, _ENT), (2_000, 12_000),
        (4, 12), ("numerique", "cohesion"),
        (_ind("Associations formées", "associations", (0, 0), (10, 40), en="Groups trained"),
         _PARTICIPANTS),
        recurring=True,
    ),
)

#: PST actions that are works or equipment (bigger budgets).
_WORKS = (
    "Aménager", "Réaménager", "Rénover", "Isoler", "Remplacer", "Installer", "Équiper",
    "Créer des logements", "Créer des mares", "Développer un hall", "Ouvrir un espace",
    "Restaurer", "Placer",
)  # fmt: skip

_STATUS_WEIGHTS = {
    ProjectStatus.IDEA: 10,
    ProjectStatus.PLANNED: 15,
    ProjectStatus.IN_PROGRESS: 35,
    ProjectStatus.DONE: 30,
    ProjectStatus.ABANDONED: 10,
}
_VALUE_NOTES = ("Relevé trimestriel", "Chiffre provisoire", "Estimation", "Bilan annuel")

_FIRST_DAY = dt.date(2020, 1, 1)
_LAST_DAY = dt.date(2027, 12, 31)


# ============================================================================================
# The generator
# ============================================================================================


class _Progress:
    """Calls ``report(description, done, total)`` at most about 50 times, and at the end."""

    def __init__(self, report: Callable[[str, int, int], None], description: str, total: int):
        self.report, self.description, self.total = report, description, total
        self.step = max(1, math.ceil(total / 50))

    def __call__(self, done: int) -> None:
        if done == self.total or done % self.step == 0:
            self.report(self.description, done, self.total)


@dataclass
class _Place:
    """A commune as the texts need it."""

    commune: Commune
    fr: str
    nl: str

    def fill(self, pattern: str) -> str:
        return pattern.format(
            de=_de(self.fr), a=f"à {self.fr}", commune=self.fr, commune_nl=self.nl
        )

    def fill_all(self, patterns: T) -> T:
        return {lang: self.fill(text) for lang, text in patterns.items()}


@dataclass
class _StakeholderDraft:
    row: Stakeholder
    places: list[_Place]
    codes: set[str] = field(default_factory=set)


class _DemoSeeder:
    def __init__(self, session: AsyncSession, options: SeedOptions) -> None:
        self.session = session
        self.options = options
        self.rng = random.Random(SEED)
        self.scale = options.scale
        self.places: list[_Place] = []
        self.by_code: dict[str, _Place] = {}
        self.stakeholders: list[_StakeholderDraft] = []
        #: NIS code -> [(strategic objective theme, action)]
        self.actions: dict[str, list[tuple[str, PstAction]]] = {}
        self.enterprise_numbers: set[str] = set()
        self.emails: set[str] = set()

    def count(self, base: int) -> int:
        return max(1, round(base * self.scale))

    async def run(self) -> None:
        report = self.options.progress
        report("territory", 0, 1)
        territory = await setup_territory(
            self.session,
            slug=TERRITORY_SLUG,
            name=_TERRITORY_NAME,
            nis_codes=list(COMMUNE_NIS_CODES),
            description=_TERRITORY_DESCRIPTION,
        )
        territory.website = f"https://{TERRITORY_SLUG}.example.org"
        self.territory = territory
        communes = {
            c.nis_code: c
            for c in await self.session.scalars(
                select(Commune).where(Commune.nis_code.in_(COMMUNE_NIS_CODES))
            )
        }
        for code in COMMUNE_NIS_CODES:
            commune = communes[code]
            place = _Place(commune, commune.name["fr"], commune.name.get("nl", commune.name["fr"]))
            self.places.append(place)
            self.by_code[code] = place
        report("territory", 1, 1)

        await self.seed_stakeholders()
        await self.seed_contacts()
        await self.seed_plans()
        await self.seed_projects()

    # --- helpers ------------------------------------------------------------------------

    def moment(self, start: dt.date, end: dt.date) -> dt.datetime:
        """A random UTC time on a working day between two days (inclusive)."""
        day = self.day(start, end)
        seconds = self.rng.randint(7 * 3600, 19 * 3600)
        return dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(seconds=seconds)

    def day(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def later(self, moment: dt.datetime, until: dt.date = REFERENCE_DAY) -> dt.datetime:
        """``updated_at`` for a row created at ``moment``: that moment or a bit later."""
        limit = dt.datetime.combine(until, dt.time(18), dt.UTC)
        if self.rng.random() < 0.3 or limit <= moment:
            return moment
        span = (limit - moment).total_seconds()
        return moment + dt.timedelta(seconds=int(span * self.rng.random() ** 2))

    def enterprise_number(self) -> str:
        """A BCE/KBO number with valid check digits: 97 - (first eight digits mod 97).

        Drawn from 0100.000.0xx-0199.999.9xx: the old national and VAT numbers, which became
        enterprise numbers by gaining a leading 0, started with 2 to 9, so this block should
        not hold real enterprises (a coincidence would be just that).
        """
        while True:
            base = self.rng.randint(1_000_000, 1_999_999)
            digits = f"{base * 100 + 97 - base % 97:010d}"
            number = f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
            if number not in self.enterprise_numbers:
                self.enterprise_numbers.add(number)
                return number

    def translated(self, texts: T, keep: float = 0.6) -> T:
        """The French text and, each with probability ``keep``, its other languages."""
        return {
            lang: text for lang, text in texts.items() if lang == "fr" or self.rng.random() < keep
        }

    def neighbours(self, place: _Place, extra: int) -> list[_Place]:
        others = [p for p in self.places if p is not place]
        return [place, *self.rng.sample(others, extra)]

    # --- stakeholders -------------------------------------------------------------------

    def draft(
        self,
        kind: StakeholderKind,
        name: str,
        description: T,
        places: list[_Place],
        needs: Sequence[StakeholderNeed],
        *,
        number: bool,
        website: float,
        created: tuple[dt.date, dt.date] = (dt.date(2020, 1, 6), dt.date(2025, 12, 19)),
    ) -> None:
        created_at = self.moment(*created)
        row = Stakeholder(
            kind=kind,
            name=name,
            description=description,
            website=f"https://{_slug(name)}.example.org" if self.rng.random() < website else None,
            enterprise_number=self.enterprise_number() if number else None,
            needs=[str(need) for need in dict.fromkeys(needs)],
            territory_id=self.territory.id,
            created_at=created_at,
            updated_at=self.later(created_at),
        )
        codes = {place.commune.nis_code for place in places}
        self.stakeholders.append(_StakeholderDraft(row, places, codes))

    def needs(self, preferred: Sequence[StakeholderNeed]) -> list[StakeholderNeed]:
        """0-3 needs, mostly the ones usual for this kind of organisation."""
        count = self.rng.choices((0, 1, 2, 3), (10, 40, 35, 15))[0]
        pool = [*preferred, *preferred, *StakeholderNeed]
        chosen: list[StakeholderNeed] = []
        while len(chosen) < count:
            need = self.rng.choice(pool)
            if need not in chosen:
                chosen.append(need)
        return sorted(chosen, key=list(StakeholderNeed).index)

    def extra_communes(self) -> int:
        return self.rng.choices((0, 1, 2), (60, 30, 10))[0]

    async def seed_stakeholders(self) -> None:
        rng = self.rng
        for place in self.places:
            self.draft(
                StakeholderKind.COMMUNE_ADMINISTRATION,
                f"Administration communale {_de(place.fr)}",
                place.fill_all(_ADMINISTRATION),
                [place],
                self.needs((_N.DIGITAL_TOOLS, _N.TRAINING)),
                number=False,
                website=1.0,
                created=(dt.date(2020, 1, 6), dt.date(2020, 3, 31)),
            )

        for name, description, codes, numbered in _PUBLIC_BODIES[: self.count(PUBLIC_BODIES)]:
            places = [self.by_code[code] for code in codes]
            self.draft(
                StakeholderKind.PUBLIC_BODY,
                places[0].fill(name),
                self.translated(places[0].fill_all(description), keep=0.8),
                places,
                self.needs((_N.NETWORKING, _N.VISIBILITY)),
                number=numbered,
                website=0.8,
            )

        pairs = [(sector, where) for sector in _SECTORS for where in _PLACES]
        rng.shuffle(pairs)
        for i in range(self.count(ENTERPRISES)):
            sector, where = pairs[i % len(pairs)]
            place = self.weighted_place()
            form = rng.choice(sector.forms)
            name = f"{sector.prefix} {where}" + (f" {form}" if form else "")
            if i >= len(pairs):  # only at large scales
                name += f" ({place.fr} {i // len(pairs) + 1})"
            description = {
                "fr": f"{sector.description['fr']} Siège d'exploitation à {place.fr}.",
                **({"nl": f"{sector.description['nl']} Gevestigd in {place.nl}."}
                   if "nl" in sector.description else {}),
                **({"en": f"{sector.description['en']} Based in {place.fr}."}
                   if "en" in sector.description else {}),
            }  # fmt: skip
            self.draft(
                StakeholderKind.ENTERPRISE,
                name,
                self.translated(description, keep=0.5),
                self.neighbours(place, rng.choices((0, 1, 2), (70, 25, 5))[0]),
                self.needs(sector.needs),
                number=True,
                website=0.55,
            )

        self.draft_organisations(StakeholderKind.ASSOCIATION, _ASSOCIATIONS, ASSOCIATIONS, 0.5)
        self.draft_organisations(
            StakeholderKind.CITIZEN_INITIATIVE, _CITIZEN_INITIATIVES, CITIZEN_INITIATIVES, 0.2
        )

        rows = [draft.row for draft in self.stakeholders]
        progress = _Progress(self.options.progress, "stakeholders", len(rows))
        progress(0)
        self.session.add_all(rows)
        await self.session.flush()
        links = [
            {"stakeholder_id": draft.row.id, "commune_id": place.commune.id}
            for draft in self.stakeholders
            for place in draft.places
        ]
        await self.session.execute(insert(stakeholder_commune), links)
        progress(len(rows))

    def draft_organisations(
        self,
        kind: StakeholderKind,
        templates: Sequence[_Organisation],
        base: int,
        website: float,
    ) -> None:
        pairs = [(template, place) for template in templates for place in self.places]
        self.rng.shuffle(pairs)
        for i in range(self.count(base)):
            template, place = pairs[i % len(pairs)]
            name = place.fill(template.name)
            if kind is StakeholderKind.ASSOCIATION:
                name += " ASBL"
            if i >= len(pairs):  # only at large scales
                name += f" ({i // len(pairs) + 1})"
            self.draft(
                kind,
                name,
                self.translated(place.fill_all(template.description), keep=0.7),
                self.neighbours(place, self.extra_communes()),
                self.needs(template.needs),
                number=template.numbered,
                website=website,
            )

    def weighted_place(self, exclude: Sequence[_Place] = ()) -> _Place:
        candidates = [p for p in self.places if p not in exclude]
        weights = [_COMMUNE_WEIGHTS[p.commune.nis_code] for p in candidates]
        return self.rng.choices(candidates, weights)[0]

    # --- contacts -----------------------------------------------------------------------

    async def seed_contacts(self) -> None:
        rng = self.rng
        contacts: list[Contact] = []
        for draft in self.stakeholders:
            kind = draft.row.kind
            titles = list(_JOB_TITLES[kind])
            count = 3 if kind is StakeholderKind.COMMUNE_ADMINISTRATION else rng.randint(1, 2)
            chosen = [titles[0], *rng.sample(titles[1:], min(count - 1, len(titles) - 1))]
            is_andenne = draft.codes == {_SMART_CITY_MANAGER_COMMUNE}
            if kind is StakeholderKind.COMMUNE_ADMINISTRATION and is_andenne:
                chosen.append(("Smart city manager", "Smart city manager"))
            for masculine, feminine in chosen:
                female = rng.random() < 0.5
                given = rng.choice(_GIVEN_NAMES_F if female else _GIVEN_NAMES_M)
                family = rng.choice(_FAMILY_NAMES)
                created_at = draft.row.created_at + dt.timedelta(days=rng.randint(0, 400))
                created_at = min(created_at, dt.datetime.combine(REFERENCE_DAY, dt.time(), dt.UTC))
                contacts.append(
                    Contact(
                        stakeholder_id=draft.row.id,
                        given_name=given,
                        family_name=family,
                        email=self.email(given, family) if rng.random() < 0.9 else None,
                        phone=None,  # no invented numbers: they could belong to someone
                        job_title=feminine if female else masculine,
                        created_at=created_at,
                        updated_at=self.later(created_at),
                    )
                )
        progress = _Progress(self.options.progress, "contacts", len(contacts))
        progress(0)
        self.session.add_all(contacts)
        await self.session.flush()
        progress(len(contacts))

    def email(self, given: str, family: str) -> str:
        local = f"{_slug(given)}.{_slug(family)}"
        candidate, n = f"{local}@example.org", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@example.org"
        self.emails.add(candidate)
        return candidate

    # --- PST ----------------------------------------------------------------------------

    async def seed_plans(self) -> None:
        rng = self.rng
        progress = _Progress(self.options.progress, "strategic plans", len(self.places))
        progress(0)
        plans: list[tuple[_Place, StrategicPlan, dt.datetime]] = []
        for place in self.places:
            adopted_on = self.day(dt.date(2025, 3, 3), dt.date(2025, 9, 30))
            created_at = self.moment(adopted_on - dt.timedelta(days=60), adopted_on)
            plan = StrategicPlan(
                commune_id=place.commune.id,
                title={
                    "fr": f"Programme stratégique transversal 2025-2030 {_de(place.fr)}",
                    "nl": f"Transversaal strategisch programma 2025-2030 van {place.nl}",
                },
                start_year=2025,
                end_year=2030,
                adopted_on=adopted_on,
                created_at=created_at,
                updated_at=self.later(created_at),
            )
            plans.append((place, plan, created_at))
        self.session.add_all(plan for _, plan, _ in plans)
        await self.session.flush()

        strategic: list[tuple[_Place, str, StrategicObjective, tuple, dt.datetime]] = []
        for place, plan, created_at in plans:
            others = [key for key in _PST if key != "administration"]
            themes = ["administration", *rng.sample(others, rng.randint(2, 3))]
            for i, theme in enumerate(themes, start=1):
                title, operational = _PST[theme]
                row = StrategicObjective(
                    plan_id=plan.id, code=f"OS{i}", title={"fr": title}, position=i,
                    created_at=created_at, updated_at=created_at,
                )  # fmt: skip
                strategic.append((place, theme, row, operational, created_at))
        self.session.add_all(row for _, _, row, _, _ in strategic)
        await self.session.flush()

        operational_rows: list[tuple[_Place, str, OperationalObjective, tuple, dt.datetime]] = []
        for place, theme, os_row, operational, created_at in strategic:
            chosen = rng.sample(operational, min(len(operational), rng.randint(2, 3)))
            for j, (title, actions) in enumerate(chosen, start=1):
                row = OperationalObjective(
                    strategic_objective_id=os_row.id, code=f"OO{os_row.position}.{j}",
                    title={"fr": title}, position=j, created_at=created_at,
                    updated_at=created_at,
                )  # fmt: skip
                operational_rows.append((place, theme, row, actions, created_at))
        self.session.add_all(row for _, _, row, _, _ in operational_rows)
        await self.session.flush()

        actions: list[PstAction] = []
        for place, theme, oo_row, titles, created_at in operational_rows:
            chosen = rng.sample(titles, min(len(titles), rng.randint(2, 4)))
            for k, title in enumerate(chosen, start=1):
                budget = self.amount(*self.action_budget(title)) if rng.random() < 0.9 else None
                row = PstAction(
                    operational_objective_id=oo_row.id,
                    code=f"A{oo_row.code[2:]}.{k}",
                    title={"fr": title},
                    budget=budget,
                    position=k,
                    created_at=created_at,
                    updated_at=self.later(created_at),
                )
                actions.append(row)
                self.actions.setdefault(place.commune.nis_code, []).append((theme, row))
        self.session.add_all(actions)
        await self.session.flush()
        progress(len(self.places))

    @staticmethod
    def action_budget(title: str) -> tuple[int, int]:
        """Works and equipment cost more than plans, trainings and events."""
        if title.startswith(_WORKS):
            return 40_000, 650_000
        return 2_500, 90_000

    def amount(self, low: int, high: int) -> Decimal:
        """A budget between ``low`` and ``high`` euros, log-uniform, rounded like budgets are."""
        value = math.exp(self.rng.uniform(math.log(low), math.log(high)))
        step = 100 if value < 20_000 else 500 if value < 200_000 else 5_000
        return Decimal(max(step, round(value / step) * step))

    # --- projects -----------------------------------------------------------------------

    async def seed_projects(self) -> None:
        total = self.count(PROJECTS)
        batch_size = max(100, math.ceil(total / 50))  # at most ~50 batches, and reports
        self.options.progress("projects", 0, total)
        self.titles: set[str] = set()
        self.template_uses: dict[str, list[int]] = {}
        self.by_kind: dict[StakeholderKind, list[_StakeholderDraft]] = {}
        for draft in self.stakeholders:
            self.by_kind.setdefault(draft.row.kind, []).append(draft)
        done = 0
        while done < total:
            size = min(batch_size, total - done)
            await self.seed_project_batch(size)
            done += size
            self.options.progress("projects", done, total)

    async def seed_project_batch(self, size: int) -> None:
        drafts = [self.project() for _ in range(size)]
        self.session.add_all(draft["row"] for draft in drafts)
        await self.session.flush()

        communes, actions, roles, indicators = [], [], [], []
        for draft in drafts:
            project: Project = draft["row"]
            communes += [
                {"project_id": project.id, "commune_id": place.commune.id}
                for place in draft["places"]
            ]
            actions += [
                {"project_id": project.id, "pst_action_id": action.id}
                for action in draft["actions"]
            ]
            roles += [
                ProjectStakeholder(project_id=project.id, stakeholder_id=who.id, role=role)
                for who, role in draft["stakeholders"]
            ]
            for indicator, values in draft["indicators"]:
                indicator.project_id = project.id
                indicators.append((indicator, values))
        await self.session.execute(insert(project_commune), communes)
        if actions:
            await self.session.execute(insert(project_pst_action), actions)
        self.session.add_all(roles)
        self.session.add_all(indicator for indicator, _ in indicators)
        await self.session.flush()

        values = []
        for indicator, indicator_values in indicators:
            for value in indicator_values:
                value.indicator_id = indicator.id
                values.append(value)
        self.session.add_all(values)
        await self.session.flush()

    def project(self) -> dict[str, Any]:
        """One project, with what goes with it (written once it has an id)."""
        rng = self.rng
        place = self.weighted_place()
        # Each commune goes through every kind of project before it repeats one.
        uses = self.template_uses.setdefault(place.commune.nis_code, [0] * len(_TEMPLATES))
        fewest = min(uses)
        index = rng.choice([i for i, n in enumerate(uses) if n == fewest])
        uses[index] += 1
        template = _TEMPLATES[index]
        places = [place]
        for _ in range(rng.choices((0, 1, 2), (65, 25, 10))[0]):
            places.append(self.weighted_place(exclude=places))
        status = rng.choices(list(_STATUS_WEIGHTS), list(_STATUS_WEIGHTS.values()))[0]
        start, end = self.dates(status, template.months)
        created_at = self.project_created_at(status, start)
        updated_at = self.later(created_at, until=min(end or REFERENCE_DAY, REFERENCE_DAY))
        if updated_at < created_at:
            updated_at = created_at

        texts = {
            "title": self.title(template, place, start or created_at.date()),
            "summary": place.fill_all(template.summary),
            "description": place.fill_all(template.description),
        }
        budget = None
        if status is not ProjectStatus.IDEA or rng.random() < 0.4:
            budget = self.amount(*template.budget)
        row = Project(
            title=texts["title"],
            summary=texts["summary"],
            description=texts["description"],
            status=status,
            focus=template.focus,
            themes=list(template.themes),
            sdgs=sorted(template.sdgs),
            start_date=start,
            end_date=end,
            budget=budget,
            territory_id=self.territory.id,
            created_at=created_at,
            updated_at=updated_at,
        )
        return {
            "row": row,
            "places": places,
            "stakeholders": self.project_stakeholders(template, places),
            "actions": self.project_actions(template, place, end),
            "indicators": self.project_indicators(template, status, start, end, created_at),
        }

    def title(self, template: _ProjectTemplate, place: _Place, start: dt.date) -> T:
        """The project's titles; the French one no other project has (a second repair café in
        the same commune becomes an "édition", a second e-desk a "phase")."""
        base = {lang: place.fill(text) for lang, text in template.title.items()}
        for suffix in self.title_suffixes(template, start.year):
            french = base["fr"] + suffix.get("fr", "")
            if french not in self.titles:
                self.titles.add(french)
                return {lang: text + suffix.get(lang, "") for lang, text in base.items()}
        raise AssertionError("unreachable")

    @staticmethod
    def title_suffixes(template: _ProjectTemplate, year: int) -> Iterator[T]:
        yield {}
        if template.recurring:
            yield {"fr": f" — édition {year}", "nl": f" — editie {year}",
                   "en": f" — {year} edition"}  # fmt: skip
        for n in itertools.count(2):
            yield {"fr": f" — phase {n}", "nl": f" — fase {n}", "en": f" — phase {n}"}

    def dates(self, status: ProjectStatus, months: tuple[int, int]) -> tuple[dt.date | None, ...]:
        """Start and end consistent with the status on :data:`REFERENCE_DAY`, within 2020-2027."""
        rng = self.rng
        duration = dt.timedelta(days=30 * rng.randint(*months))
        today = REFERENCE_DAY
        if status is ProjectStatus.IDEA:
            if rng.random() < 0.6:
                return None, None
            return self.day(today + dt.timedelta(days=30), dt.date(2027, 9, 30)), None
        if status is ProjectStatus.PLANNED:
            start = self.day(today + dt.timedelta(days=15), dt.date(2027, 6, 30))
            return start, self.end(start, start + duration)
        if status is ProjectStatus.IN_PROGRESS:
            earliest = max(dt.date(2021, 1, 1), today - duration)
            start = self.day(earliest, today - dt.timedelta(days=30))
            end = start + duration
            if end <= today:
                end = today + dt.timedelta(days=rng.randint(60, 480))
            return start, self.end(start, end)
        if status is ProjectStatus.DONE:
            start = self.day(_FIRST_DAY, today - dt.timedelta(days=180))
            end = start + duration
            if end >= today:
                end = today - dt.timedelta(days=rng.randint(10, 120))
            return start, max(end, start + dt.timedelta(days=30))
        # abandoned: it started, then stopped (the day it stopped is not always known)
        start = self.day(_FIRST_DAY, today - dt.timedelta(days=120))
        if rng.random() < 0.5:
            return start, None
        stopped = start + dt.timedelta(days=rng.randint(60, max(61, duration.days // 2)))
        return start, min(stopped, today - dt.timedelta(days=30))

    def end(self, start: dt.date, end: dt.date) -> dt.date:
        """``end``, or a shorter schedule if it would run past 2027."""
        if end <= _LAST_DAY:
            return end
        return self.day(min(start + dt.timedelta(days=90), _LAST_DAY), _LAST_DAY)

    def project_created_at(self, status: ProjectStatus, start: dt.date | None) -> dt.datetime:
        if start is None:
            return self.moment(_FIRST_DAY, REFERENCE_DAY - dt.timedelta(days=7))
        earliest = start - dt.timedelta(days=400)
        latest = min(start - dt.timedelta(days=15), REFERENCE_DAY - dt.timedelta(days=7))
        if status in (ProjectStatus.PLANNED, ProjectStatus.IDEA):
            earliest = max(earliest, REFERENCE_DAY - dt.timedelta(days=700))
        earliest = max(earliest, dt.date(2019, 6, 3))
        return self.moment(earliest, max(earliest, latest))

    def project_stakeholders(
        self, template: _ProjectTemplate, places: list[_Place]
    ) -> list[tuple[Stakeholder, StakeholderRole]]:
        """1-4 stakeholders acting in the project's communes, exactly one of them the lead."""
        rng = self.rng
        codes = {p.commune.nis_code for p in places}

        def local(kinds: Sequence[StakeholderKind], used: list[Stakeholder]) -> list[Stakeholder]:
            return [
                d.row for kind in dict.fromkeys(kinds) for d in self.by_kind.get(kind, ())
                if d.codes & codes and d.row not in used
            ]  # fmt: skip

        lead_kinds = list(template.lead)
        rng.shuffle(lead_kinds)
        candidates = local(lead_kinds[:1], []) or local(lead_kinds, []) or local(list(_K), [])
        lead = rng.choice(candidates or [d.row for d in self.stakeholders])
        chosen = [(lead, StakeholderRole.LEAD)]
        used = [lead]
        for _ in range(rng.choices((0, 1, 2, 3), (25, 35, 25, 15))[0]):
            funder = rng.random() < 0.25
            kinds = (_ADMIN, _PUB) if funder else template.partners
            pool = local(kinds, used) or local(list(_K), used)
            if not pool:
                break
            who = rng.choice(pool)
            used.append(who)
            chosen.append((who, StakeholderRole.FUNDER if funder else StakeholderRole.PARTNER))
        return chosen

    def project_actions(
        self, template: _ProjectTemplate, place: _Place, end: dt.date | None
    ) -> list[PstAction]:
        """0-2 actions of the main commune's PST, on the project's themes when possible.
        Projects over before the 2025-2030 PST do not link to it."""
        if end is not None and end < dt.date(2025, 1, 1):
            return []
        count = self.rng.choices((0, 1, 2), (35, 45, 20))[0]
        actions = self.actions.get(place.commune.nis_code, [])
        matching = [action for theme, action in actions if theme in template.pst]
        pool = matching if len(matching) >= count else [action for _, action in actions]
        return self.rng.sample(pool, min(count, len(pool)))

    def project_indicators(
        self,
        template: _ProjectTemplate,
        status: ProjectStatus,
        start: dt.date | None,
        end: dt.date | None,
        created_at: dt.datetime,
    ) -> list[tuple[Indicator, list[IndicatorValue]]]:
        """0-3 indicators with 1-6 measurements: only the baseline before the project starts."""
        rng = self.rng
        if status is ProjectStatus.IDEA or not template.indicators:
            return []
        count = rng.choices((0, 1, 2, 3), (15, 35, 35, 15))[0]
        chosen = rng.sample(template.indicators, min(count, len(template.indicators)))
        result = []
        for spec in chosen:
            baseline = self.measure(spec, rng.uniform(*spec.baseline))
            target = self.measure(spec, rng.uniform(*spec.target))
            indicator = Indicator(
                name=self.translated(spec.name, keep=0.7),
                unit=spec.unit,
                baseline=baseline,
                target=target,
                created_at=created_at,
                updated_at=created_at,
            )
            result.append((indicator, self.values(spec, status, start, end, created_at,
                                                  baseline, target)))  # fmt: skip
        return result

    def values(
        self,
        spec: _IndicatorTemplate,
        status: ProjectStatus,
        start: dt.date | None,
        end: dt.date | None,
        created_at: dt.datetime,
        baseline: Decimal,
        target: Decimal,
    ) -> list[IndicatorValue]:
        rng = self.rng
        first = start or created_at.date()
        last = min(end or REFERENCE_DAY, REFERENCE_DAY)
        if status is ProjectStatus.PLANNED or last <= first:
            days = [created_at.date()]
        else:
            count = rng.randint(1, 6)
            days = sorted({self.day(first, last) for _ in range(count)})
        span = max(1, ((end or last) - first).days)
        reach = {ProjectStatus.DONE: 1.0, ProjectStatus.ABANDONED: 0.4}.get(status, 0.9)
        rows = []
        for i, day in enumerate(days):
            if i == 0 and (len(days) > 1 or status is ProjectStatus.PLANNED):
                value, note = baseline, "Situation de départ"
            else:
                progress = min(1.0, (day - first).days / span) * reach
                noise = rng.uniform(0.8, 1.1)
                value = self.measure(
                    spec, float(baseline) + (float(target) - float(baseline)) * progress * noise
                )
                note = rng.choice(_VALUE_NOTES) if rng.random() < 0.3 else None
            recorded = dt.datetime.combine(day, dt.time(9), dt.UTC) + dt.timedelta(
                days=rng.randint(0, 10), minutes=rng.randint(0, 540)
            )
            rows.append(IndicatorValue(measured_on=day, value=value, note=note,
                                       created_at=recorded, updated_at=recorded))  # fmt: skip
        return rows

    @staticmethod
    def measure(spec: _IndicatorTemplate, value: float) -> Decimal:
        value = max(0.0, value)
        if spec.decimals == 0:
            return Decimal(round(value))
        return Decimal(f"{value:.{spec.decimals}f}")
