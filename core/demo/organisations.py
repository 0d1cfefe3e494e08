"""The demo territory and who acts in it: the GAL's name, the kinds of local business, the
associations, citizen initiatives and public bodies, the communes' administrations, and the
names and job titles of their contacts.

Texts are French, often with Dutch or English; most are patterns that
:mod:`bocage.core.demo.seeder` fills per commune: ``{de}`` ('de Hannut', 'd'Andenne'), ``{a}``
('à Hannut'), ``{commune}`` (French name), ``{commune_nl}`` (Dutch name).
"""

from __future__ import annotations

from dataclasses import dataclass

from bocage.core.models import StakeholderKind, StakeholderNeed

T = dict[str, str]  # a multilingual text (or text pattern)

#: The demo GAL.
TERRITORY_NAME = {
    "fr": "GAL Hesbaye-Meuse",
    "nl": "Plaatselijke Groep Haspengouw-Maas",
    "de": "LAG Haspengau-Maas",
    "en": "Hesbaye-Meuse Local Action Group",
}
TERRITORY_DESCRIPTION = {
    "fr": "Groupe d'Action Locale fictif, créé pour la démonstration de Bocage : huit communes "
    "entre les plateaux de Hesbaye et la vallée de la Meuse qui portent ensemble des projets de "
    "territoire intelligent, en vert (collaboration et participation) et en bleu (numérique).",
    "nl": "Fictieve Plaatselijke Groep, gemaakt om Bocage te demonstreren: acht gemeenten tussen "
    "Haspengouw en de Maasvallei die samen projecten voor een slim platteland dragen.",
    "en": "A fictional Local Action Group made to demonstrate Bocage: eight municipalities "
    "between the Hesbaye plateau and the Meuse valley carrying smart-territory projects together.",
}


@dataclass(frozen=True)
class Sector:
    """A kind of local business: name prefix and description (fr, sometimes nl/en)."""

    prefix: str
    description: T
    forms: tuple[str, ...] = ("SRL", "", "SRL", "SC")
    needs: tuple[StakeholderNeed, ...] = (StakeholderNeed.VISIBILITY, StakeholderNeed.NETWORKING)


_N = StakeholderNeed
SECTORS: tuple[Sector, ...] = (
    Sector(
        "Boulangerie",
        {
            "fr": "Boulangerie artisanale : pains au levain et viennoiseries à base de farines de "
            "Hesbaye.",
            "nl": "Ambachtelijke bakkerij: zuurdesembrood en koffiekoeken van Haspengouws meel.",
            "en": "Craft bakery: sourdough bread and pastries made with Hesbaye flour.",
        },
    ),
    Sector(
        "Ferme",
        {
            "fr": "Exploitation agricole familiale : grandes cultures, betteraves et vente directe "
            "de pommes de terre et d'œufs à la ferme.",
            "nl": "Familiaal landbouwbedrijf: akkerbouw, suikerbieten en hoeveverkoop van "
            "aardappelen en eieren.",
            "en": "Family farm: arable crops, sugar beet and farm-gate sales of potatoes and eggs.",
        },
        forms=("", "", "SRL"),
        needs=(_N.VISIBILITY, _N.DIGITAL_TOOLS, _N.FUNDING),
    ),
    Sector(
        "Les Jardins",
        {
            "fr": "Maraîchage biologique sur sol vivant, paniers de légumes hebdomadaires et vente "
            "au marché.",
            "en": "Organic market gardening, weekly vegetable boxes and market stall.",
        },
        forms=("", "SC"),
        needs=(_N.VISIBILITY, _N.VOLUNTEERS, _N.FUNDING),
    ),
    Sector(
        "Brasserie",
        {
            "fr": "Micro-brasserie : bières de saison brassées avec l'orge et le houblon de la "
            "région.",
            "nl": "Microbrouwerij: seizoensbieren gebrouwen met gerst en hop uit de streek.",
            "en": "Micro-brewery: seasonal beers brewed with local barley and hops.",
        },
    ),
    Sector(
        "Fromagerie",
        {
            "fr": "Fromages au lait cru de vache, affinés sur place et vendus en circuit court.",
        },
    ),
    Sector(
        "Miellerie",
        {
            "fr": "Apiculture et miels de Hesbaye, ateliers de découverte des abeilles pour les "
            "écoles.",
            "en": "Beekeeping and Hesbaye honey, discovery workshops for schools.",
        },
        forms=("",),
    ),
    Sector(
        "Vergers",
        {
            "fr": "Vergers hautes tiges, jus de pomme, cidre et sirop de Liège artisanal.",
            "nl": "Hoogstamboomgaarden, appelsap, cider en ambachtelijke Luikse siroop.",
        },
    ),
    Sector(
        "Menuiserie",
        {
            "fr": "Menuiserie générale, châssis en bois et aménagements intérieurs sur mesure.",
        },
        needs=(_N.TRAINING, _N.VISIBILITY),
    ),
    Sector(
        "Toitures",
        {
            "fr": "Couverture, isolation de toitures et pose de panneaux photovoltaïques.",
            "en": "Roofing, roof insulation and solar panel installation.",
        },
        needs=(_N.TRAINING, _N.NETWORKING),
    ),
    Sector(
        "Électricité",
        {
            "fr": "Installations électriques, bornes de recharge et domotique pour particuliers et "
            "PME.",
        },
        needs=(_N.TRAINING, _N.DIGITAL_TOOLS),
    ),
    Sector(
        "Garage",
        {
            "fr": "Entretien et réparation de véhicules, spécialiste des motorisations hybrides.",
        },
    ),
    Sector(
        "Cycles",
        {
            "fr": "Vente, location et réparation de vélos, dont des vélos à assistance électrique.",
            "nl": "Verkoop, verhuur en herstelling van fietsen, ook elektrische fietsen.",
            "en": "Bicycle sales, rental and repairs, including e-bikes.",
        },
    ),
    Sector(
        "Librairie",
        {
            "fr": "Librairie-papeterie indépendante : rencontres d'auteurs et dépôt de presse.",
        },
        needs=(_N.VISIBILITY, _N.DIGITAL_TOOLS),
    ),
    Sector(
        "Épicerie",
        {
            "fr": "Épicerie de produits locaux et en vrac, en circuit court avec les producteurs "
            "de la région.",
            "en": "Local and zero-waste grocery, sourcing directly from the region's producers.",
        },
        forms=("SRL", "SC", ""),
    ),
    Sector(
        "Traiteur",
        {
            "fr": "Traiteur et repas à domicile, cuisine de saison et produits du terroir.",
        },
    ),
    Sector(
        "Gîte",
        {
            "fr": "Gîte rural et chambres d'hôtes au calme, à deux pas des chemins de promenade.",
            "nl": "Vakantiewoning en gastenkamers op het platteland, vlak bij de wandelpaden.",
            "en": "Countryside holiday cottage and guest rooms, close to walking trails.",
        },
        forms=("",),
        needs=(_N.VISIBILITY, _N.DIGITAL_TOOLS),
    ),
    Sector(
        "Studio numérique",
        {
            "fr": "Agence de communication numérique : sites web, réseaux sociaux et formations "
            "pour indépendants et associations.",
            "en": "Digital agency: websites, social media and training for small businesses and "
            "non-profits.",
        },
        needs=(_N.NETWORKING, _N.VISIBILITY),
    ),
    Sector(
        "Informatique",
        {
            "fr": "Dépannage informatique, réseaux et cybersécurité pour TPE et administrations.",
        },
        needs=(_N.NETWORKING, _N.TRAINING),
    ),
    Sector(
        "Fiduciaire",
        {
            "fr": "Bureau comptable et fiscal au service des indépendants et des PME.",
        },
        forms=("SRL",),
        needs=(_N.DIGITAL_TOOLS, _N.NETWORKING),
    ),
    Sector(
        "Imprimerie",
        {
            "fr": "Imprimerie et signalétique, impression sur papier recyclé.",
        },
        forms=("SRL", "SA"),
    ),
    Sector(
        "Atelier d'architecture",
        {
            "fr": "Architecture durable, rénovation énergétique et certification PEB.",
            "nl": "Duurzame architectuur, energierenovatie en EPB-certificering.",
        },
        forms=("SRL",),
        needs=(_N.NETWORKING, _N.VISIBILITY),
    ),
    Sector(
        "Transports",
        {
            "fr": "Transport de marchandises et logistique du dernier kilomètre.",
        },
        forms=("SRL", "SA"),
        needs=(_N.DIGITAL_TOOLS, _N.TRAINING),
    ),
    Sector(
        "Pépinière",
        {
            "fr": "Pépinière de plants indigènes : haies, arbres fruitiers et plantes mellifères.",
            "en": "Nursery of native plants: hedges, fruit trees and bee-friendly plants.",
        },
    ),
    Sector(
        "Distillerie",
        {
            "fr": "Distillerie artisanale de péket et d'eaux-de-vie de fruits.",
        },
    ),
    Sector(
        "Chocolaterie",
        {
            "fr": "Chocolaterie artisanale, pralines et ateliers de dégustation.",
            "nl": "Ambachtelijke chocolaterie, pralines en proeverijen.",
        },
    ),
    Sector(
        "Énergie citoyenne",
        {
            "fr": "Coopérative citoyenne qui investit dans l'éolien et le solaire du territoire et "
            "en partage les bénéfices avec ses coopérateurs.",
            "nl": "Burgercoöperatie die investeert in wind- en zonne-energie in de streek.",
            "en": "Citizens' cooperative investing in local wind and solar power.",
        },
        forms=("SC",),
        needs=(_N.VISIBILITY, _N.FUNDING, _N.VOLUNTEERS),
    ),
    Sector(
        "Boucherie",
        {
            "fr": "Boucherie-charcuterie : viandes de races locales et préparations maison.",
        },
    ),
    Sector(
        "Parcs et jardins",
        {
            "fr": "Entretien de jardins, plantation de haies et gestion différenciée des espaces "
            "verts.",
        },
        needs=(_N.TRAINING, _N.VISIBILITY),
    ),
)

#: Places that businesses are named after ('Boulangerie du Geer').
PLACES = (
    "du Geer", "de la Mehaigne", "des Tilleuls", "du Moulin", "de la Burdinale",
    "du Vieux Chêne", "des Blés d'Or", "du Tige", "des Trois Chênes", "de la Source",
    "du Bosquet", "des Coquelicots", "du Long Pré", "de la Chapelle", "des Alouettes",
    "du Sart", "de la Tour", "du Pachy", "des Saules", "du Plateau",
)  # fmt: skip


@dataclass(frozen=True)
class Organisation:
    """An association, citizen initiative or public body: a name and a description pattern
    ({de}, {a}, {commune}, {commune_nl}), and whether it also gets a BCE number."""

    name: str
    description: T
    needs: tuple[StakeholderNeed, ...] = ()
    numbered: bool = True


ASSOCIATIONS: tuple[Organisation, ...] = (
    Organisation(
        "Les Amis du patrimoine {de}",
        {
            "fr": "Sauvegarde et mise en valeur du petit patrimoine {de} : chapelles, potales et "
            "fermes en carré.",
        },
        (_N.VOLUNTEERS, _N.FUNDING),
    ),
    Organisation(
        "Comité des fêtes {de}",
        {
            "fr": "Organisation de la fête de village, du marché de Noël et des brocantes {de}.",
            "nl": "Organisatie van het dorpsfeest, de kerstmarkt en de rommelmarkten in "
            "{commune_nl}.",
        },
        (_N.VOLUNTEERS, _N.VISIBILITY),
    ),
    Organisation(
        "Cercle d'histoire {de}",
        {
            "fr": "Recherches et publications sur l'histoire locale, archives et expositions.",
        },
        (_N.DIGITAL_TOOLS, _N.VOLUNTEERS),
    ),
    Organisation(
        "Maison des jeunes {de}",
        {
            "fr": "Accueil des 12-26 ans {a}, ateliers créatifs et projets citoyens.",
            "en": "Youth centre in {commune} for 12 to 26 year-olds: creative workshops and "
            "citizen projects.",
        },
        (_N.FUNDING, _N.TRAINING),
    ),
    Organisation(
        "Centre culturel {de}",
        {
            "fr": "Programmation culturelle, ateliers d'expression et soutien aux artistes locaux.",
            "nl": "Cultureel programma, creatieve ateliers en steun aan lokale kunstenaars.",
        },
        (_N.VISIBILITY, _N.DIGITAL_TOOLS),
    ),
    Organisation(
        "Les Sentiers {de}",
        {
            "fr": "Réhabilitation, entretien et balisage des sentiers et chemins vicinaux {de}.",
        },
        (_N.VOLUNTEERS,),
    ),
    Organisation(
        "Entraide {commune}",
        {
            "fr": "Aide alimentaire, vestiaire solidaire et visites aux personnes isolées.",
        },
        (_N.VOLUNTEERS, _N.FUNDING),
    ),
    Organisation(
        "Les Aînés {de}",
        {
            "fr": "Club des aînés : excursions, goûters, cours de gym douce et d'informatique.",
        },
        (_N.DIGITAL_TOOLS, _N.TRAINING),
    ),
    Organisation(
        "École de devoirs {de}",
        {
            "fr": "Soutien scolaire et activités pour les enfants de 6 à 15 ans après l'école.",
        },
        (_N.VOLUNTEERS, _N.FUNDING),
    ),
    Organisation(
        "Hesbaye Nature, section {de}",
        {
            "fr": "Inventaires de la biodiversité, plantation de haies et sauvetage des "
            "batraciens.",
            "en": "Biodiversity surveys, hedge planting and toad rescue.",
        },
        (_N.VOLUNTEERS, _N.VISIBILITY),
    ),
    Organisation(
        "Ciné-club {de}",
        {
            "fr": "Projections mensuelles de films d'auteur suivies de débats.",
        },
        (_N.VISIBILITY,),
    ),
    Organisation(
        "Ludothèque {de}",
        {
            "fr": "Prêt de jeux de société et soirées jeux pour toutes les générations.",
        },
        (_N.VOLUNTEERS,),
    ),
    Organisation(
        "Association des commerçants {de}",
        {
            "fr": "Union des commerçants et indépendants {de} : animations, chèques commerce local "
            "et braderie annuelle.",
            "nl": "Vereniging van handelaars en zelfstandigen uit {commune_nl}.",
        },
        (_N.VISIBILITY, _N.DIGITAL_TOOLS, _N.NETWORKING),
    ),
    Organisation(
        "Syndicat d'initiative {de}",
        {
            "fr": "Accueil des visiteurs, balades guidées et promotion du patrimoine {de}.",
            "nl": "Toerismebureau van {commune_nl}: onthaal, geleide wandelingen en erfgoed.",
            "en": "Tourist office of {commune}: visitor welcome, guided walks and heritage.",
        },
        (_N.VISIBILITY, _N.DIGITAL_TOOLS),
    ),
    Organisation(
        "Vélo Club {de}",
        {
            "fr": "Sorties à vélo chaque dimanche et promotion du vélo au quotidien.",
        },
        (_N.VISIBILITY,),
    ),
    Organisation(
        "Théâtre des Tréteaux {de}",
        {
            "fr": "Troupe de théâtre amateur en français et en wallon.",
        },
        (_N.VISIBILITY, _N.VOLUNTEERS),
    ),
)

CITIZEN_INITIATIVES: tuple[Organisation, ...] = (
    Organisation(
        "Repair café {de}",
        {
            "fr": "Une fois par mois, des bénévoles réparent avec les habitants petit "
            "électroménager, vêtements et vélos.",
            "en": "Once a month, volunteers fix small appliances, clothes and bikes with "
            "residents.",
        },
        (_N.VOLUNTEERS, _N.VISIBILITY),
        numbered=False,
    ),
    Organisation(
        "Potager collectif {de}",
        {
            "fr": "Un potager partagé où voisins et écoles cultivent ensemble légumes et "
            "aromatiques.",
        },
        (_N.VOLUNTEERS, _N.FUNDING),
        numbered=False,
    ),
    Organisation(
        "GAC {de}",
        {
            "fr": "Groupe d'achat commun : commandes groupées chaque semaine auprès des "
            "producteurs de la région.",
            "nl": "Aankoopgroep: wekelijkse gezamenlijke bestellingen bij producenten uit de "
            "streek.",
        },
        (_N.DIGITAL_TOOLS, _N.VISIBILITY),
        numbered=False,
    ),
    Organisation(
        "{commune} en transition",
        {
            "fr": "Initiative de transition : soupe populaire, grainothèque, ateliers zéro déchet "
            "et réflexion sur l'autonomie alimentaire et énergétique du village.",
            "en": "Transition town initiative: seed library, zero-waste workshops and local food "
            "and energy projects.",
        },
        (_N.VISIBILITY, _N.NETWORKING),
        numbered=False,
    ),
    Organisation(
        "Donnerie {de}",
        {
            "fr": "Un samedi par trimestre, on donne et on emporte gratuitement objets et "
            "vêtements.",
        },
        (_N.VOLUNTEERS,),
        numbered=False,
    ),
    Organisation(
        "Fablab citoyen {de}",
        {
            "fr": "Atelier partagé : imprimantes 3D, découpe laser et initiation à la "
            "programmation.",
            "en": "Community makerspace: 3D printers, laser cutter and coding for beginners.",
        },
        (_N.FUNDING, _N.TRAINING, _N.VOLUNTEERS),
        numbered=False,
    ),
    Organisation(
        "Café numérique {de}",
        {
            "fr": "Des bénévoles aident les aînés à utiliser smartphone, courriel et services en "
            "ligne.",
            "nl": "Vrijwilligers helpen senioren met smartphone, e-mail en onlinediensten.",
        },
        (_N.VOLUNTEERS, _N.DIGITAL_TOOLS),
        numbered=False,
    ),
    Organisation(
        "Collectif zéro déchet {de}",
        {
            "fr": "Ateliers pratiques, défis familles et cartographie des commerces en vrac.",
        },
        (_N.VISIBILITY,),
        numbered=False,
    ),
    Organisation(
        "Voisins solidaires {de}",
        {
            "fr": "Réseau d'entraide entre voisins : courses, petits travaux et covoiturage.",
        },
        (_N.VOLUNTEERS, _N.DIGITAL_TOOLS),
        numbered=False,
    ),
    Organisation(
        "Les Incroyables Comestibles {de}",
        {
            "fr": "Bacs potagers en libre-service sur les places du village : plantez, arrosez, "
            "partagez.",
        },
        (_N.VOLUNTEERS,),
        numbered=False,
    ),
    Organisation(
        "Grainothèque {de}",
        {
            "fr": "Échange de semences locales et reproductibles à la bibliothèque.",
        },
        (_N.VISIBILITY,),
        numbered=False,
    ),
    Organisation(
        "Covoit' {commune}",
        {
            "fr": "Groupe de covoiturage et points-stop entre les villages et la gare.",
        },
        (_N.DIGITAL_TOOLS, _N.VISIBILITY),
        numbered=False,
    ),
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
PUBLIC_BODIES: tuple[tuple[str, T, tuple[str, ...], bool], ...] = (
    (
        "Terres Connectées ASBL",
        {
            "fr": "Association (fictive) qui accompagne les communes rurales dans leurs projets de "
            "territoire intelligent : données ouvertes, capteurs, outils collaboratifs et "
            "formation des agents.",
            "nl": "(Fictieve) vzw die landelijke gemeenten begeleidt bij slimme-regioprojecten: "
            "open data, sensoren, samenwerkingstools en opleiding van medewerkers.",
            "en": "A (fictional) non-profit that helps rural municipalities with smart-territory "
            "projects: open data, sensors, collaborative tools and staff training.",
        },
        ("92003", "64034", "92035"),
        True,
    ),
    ("Agence de Développement Local {de}", _ADL, ("64034",), False),
    ("Agence de Développement Local {de}", _ADL, ("92003",), False),
    (
        "Maison du tourisme Hesbaye-Meuse",
        {
            "fr": "Promotion touristique du territoire : balades, hébergements, produits du "
            "terroir et agenda des événements.",
            "en": "Tourism promotion for the area: walks, accommodation, local produce and events.",
        },
        ("64034", "92003", "61028"),
        True,
    ),
    ("Agence de Développement Local {de}", _ADL, ("92035",), False),
    ("CPAS {de}", _CPAS, ("64075",), False),
    ("Agence de Développement Local de Braives-Burdinne", _ADL, ("64015", "61010"), False),
    ("CPAS {de}", _CPAS, ("92003",), False),
    (
        "Partenariat rivière Mehaigne",
        {
            "fr": "Partenariat entre communes, agriculteurs et associations pour la qualité de "
            "l'eau et la lutte contre les coulées boueuses dans le bassin de la Mehaigne.",
        },
        ("64075", "64015", "61028"),
        True,
    ),
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

ADMINISTRATION: T = {
    "fr": "L'administration communale {de} : services à la population, état civil, urbanisme, "
    "travaux et suivi du Programme stratégique transversal 2025-2030.",
    "nl": "Het gemeentebestuur van {commune_nl}: dienstverlening aan de burger, burgerlijke stand, "
    "stedenbouw, openbare werken en opvolging van het strategisch programma 2025-2030.",
    "en": "The municipal administration of {commune}: citizen services, civil registry, "
    "planning, public works and the 2025-2030 cross-cutting strategic programme (PST).",
}

GIVEN_NAMES_F = (
    "Marie", "Sophie", "Julie", "Anne", "Catherine", "Isabelle", "Nathalie", "Aurélie", "Céline",
    "Émilie", "Charlotte", "Camille", "Laura", "Pauline", "Valérie", "Françoise", "Christine",
    "Manon", "Élise", "Sarah", "Martine", "Virginie", "Delphine", "Hélène",
)  # fmt: skip
GIVEN_NAMES_M = (
    "Julien", "Thomas", "Nicolas", "Maxime", "Antoine", "Olivier", "Benoît", "Pierre", "Luc",
    "Marc", "Philippe", "Vincent", "François", "Jean-Marc", "Laurent", "Damien", "Sébastien",
    "Arnaud", "Hugo", "Louis", "Martin", "Cédric", "Grégory", "Didier",
)  # fmt: skip
FAMILY_NAMES = (
    "Lambert", "Dubois", "Martin", "Lejeune", "Renard", "Dupont", "Lemaire", "Laurent", "Simon",
    "Leclercq", "Mathieu", "Jacquet", "François", "Henrard", "Collard", "Gilson", "Hardy",
    "Delvaux", "Piette", "Massart", "Lecocq", "Warnier", "Detry", "Bodart", "Marchal", "Goffin",
    "Jadot", "Thiry", "Gérard", "Pirard", "Hubert", "Servais", "Noël", "Dethier", "Dumont",
    "Mertens", "Wauters", "Lhoest", "Jamar", "Closset", "Hanquet", "Moreau", "Remacle", "Stassart",
)  # fmt: skip

#: Job titles by kind of organisation, (masculine, feminine); the first is the usual first contact.
JOB_TITLES: dict[StakeholderKind, tuple[tuple[str, str], ...]] = {
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
SMART_CITY_MANAGER_COMMUNE = "92003"  # Andenne has a smart city manager (see the glossary)
