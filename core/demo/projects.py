"""The demo's kinds of project, green (collaboration and participation) and blue (digital),
with their indicators: :mod:`bocage.core.demo.seeder` turns each into projects in the communes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bocage.core.demo.organisations import T
from bocage.core.models import ProjectFocus, StakeholderKind


@dataclass(frozen=True)
class IndicatorTemplate:
    name: T
    unit: str
    baseline: tuple[float, float]
    target: tuple[float, float]
    decimals: int = 0


@dataclass(frozen=True)
class ProjectTemplate:
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
    indicators: tuple[IndicatorTemplate, ...] = ()
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
) -> IndicatorTemplate:  # fmt: skip
    name = {"fr": fr} | ({"en": en} if en else {}) | ({"nl": nl} if nl else {})
    return IndicatorTemplate(name, unit, baseline, target, decimals)


_PARTICIPANTS = _ind("Participants", "personnes", (0, 0), (80, 400),
                     en="Participants", nl="Deelnemers")  # fmt: skip
_VOLUNTEERS = _ind("Bénévoles actifs", "personnes", (0, 5), (12, 40),
                   en="Active volunteers", nl="Actieve vrijwilligers")  # fmt: skip

TEMPLATES: tuple[ProjectTemplate, ...] = (
    # --- green: collaboration & participation -----------------------------------------------
    ProjectTemplate(
        _GREEN,
        {
            "fr": "Repair café {de}",
            "en": "Repair café in {commune}",
            "nl": "Repair café in {commune_nl}",
        },
        {
            "fr": "Un rendez-vous mensuel où des bénévoles réparent avec les habitants plutôt que "
            "de jeter.",
            "en": "A monthly meet-up where volunteers fix things with residents instead of "
            "throwing them away.",
        },
        {
            "fr": "Chaque troisième samedi du mois, des réparateurs bénévoles accueillent les "
            "habitants {de} avec leurs objets en panne : petit électroménager, vêtements, "
            "vélos, ordinateurs. Le projet réduit les déchets, transmet des savoir-faire et "
            "crée du lien entre les générations."
        },
        ("economie-circulaire", "cohesion-sociale"),
        (11, 12),
        (_CIT, _ASBL),
        (_ADMIN, _ENT),
        (1_500, 12_000),
        (12, 36),
        ("environnement", "cohesion"),
        (
            _ind(
                "Objets réparés",
                "objets",
                (0, 0),
                (150, 600),
                en="Items repaired",
                nl="Herstelde voorwerpen",
            ),
            _ind("Déchets évités", "kg", (0, 0), (300, 1_500), en="Waste avoided"),
            _VOLUNTEERS,
        ),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Potager collectif {de}"},
        {"fr": "Un potager partagé entre voisins, écoles et CPAS, ouvert à toutes et tous."},
        {
            "fr": "Sur un terrain communal mis à disposition, les habitants {de} cultivent "
            "ensemble légumes, petits fruits et aromatiques. Des ateliers de jardinage au naturel "
            "sont proposés aux écoles et une partie des récoltes rejoint l'épicerie sociale."
        },
        ("alimentation-locale", "cohesion-sociale", "biodiversite"),
        (2, 11, 15),
        (_CIT, _ASBL),
        (_ADMIN, _PUB, _ENT),
        (3_000, 25_000),
        (12, 48),
        ("cohesion", "economie"),
        (
            _ind("Parcelles cultivées", "parcelles", (0, 4), (15, 40), en="Plots in use"),
            _ind("Récoltes", "kg", (0, 0), (400, 2_500), en="Harvest"),
            _VOLUNTEERS,
        ),
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Groupe d'achat commun {de}", "en": "Joint purchasing group in {commune}"},
        {
            "fr": "Des ménages qui commandent ensemble, chaque semaine, aux producteurs de la "
            "région."
        },
        {
            "fr": "Le groupe d'achat commun rassemble des ménages {de} qui passent commande chaque "
            "semaine auprès de producteurs situés à moins de 30 km. La distribution a lieu le "
            "vendredi soir dans une salle communale, tenue à tour de rôle par les membres."
        },
        ("alimentation-locale", "economie-locale"),
        (2, 12),
        (_CIT,),
        (_ENT, _ENT, _ADMIN),
        (500, 6_000),
        (12, 48),
        ("economie",),
        (
            _ind(
                "Ménages membres",
                "ménages",
                (5, 15),
                (40, 90),
                en="Member households",
                nl="Aangesloten gezinnen",
            ),
            _ind("Producteurs partenaires", "producteurs", (2, 5), (8, 20), en="Partner producers"),
            _ind(
                "Ventes aux producteurs", "EUR", (0, 0), (15_000, 80_000), en="Sales to producers"
            ),
        ),
    ),
    ProjectTemplate(
        _GREEN,
        {
            "fr": "Marché des producteurs locaux {de}",
            "nl": "Boerenmarkt in {commune_nl}",
            "en": "Local farmers' market in {commune}",
        },
        {
            "fr": "Un marché du terroir en fin de journée, chaque vendredi de mai à octobre.",
            "nl": "Een streekmarkt op vrijdagavond, van mei tot oktober.",
        },
        {
            "fr": "Producteurs, artisans et associations {de} se retrouvent sur la place pour un "
            "marché du terroir convivial, avec petite restauration et animations. L'ADL "
            "coordonne les exposants et la commune assure la logistique."
        },
        ("alimentation-locale", "economie-locale", "cohesion-sociale"),
        (2, 8, 12),
        (_PUB, _ADMIN),
        (_ENT, _ENT, _ASBL),
        (4_000, 30_000),
        (6, 24),
        ("economie",),
        (
            _ind("Exposants", "exposants", (8, 15), (20, 45), en="Stallholders", nl="Standhouders"),
            _ind(
                "Visiteurs par marché",
                "visiteurs",
                (150, 300),
                (400, 1_200),
                en="Visitors per market",
            ),
        ),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {
            "fr": "Plantation de haies indigènes {a}",
            "nl": "Aanplant van inheemse hagen in {commune_nl}",
        },
        {
            "fr": "Des kilomètres de haies plantées avec les agriculteurs, les écoles et les "
            "riverains.",
            "nl": "Kilometers hagen, aangeplant met landbouwers, scholen en buurtbewoners.",
        },
        {
            "fr": "Les haies freinent les coulées boueuses, abritent la petite faune et relient "
            "les bosquets de la plaine agricole. Le projet fournit les plants (aubépine, charme, "
            "noisetier, prunellier) et organise des chantiers de plantation ouverts à tous {a}."
        },
        ("biodiversite", "agriculture", "climat"),
        (13, 15),
        (_ASBL, _ADMIN, _PUB),
        (_ENT, _ADMIN, _CIT),
        (8_000, 60_000),
        (12, 36),
        ("environnement",),
        (
            _ind(
                "Haies plantées",
                "m",
                (0, 0),
                (1_000, 8_000),
                en="Hedges planted",
                nl="Aangeplante hagen",
            ),
            _ind(
                "Exploitations participantes",
                "exploitations",
                (0, 2),
                (6, 20),
                en="Participating farms",
            ),
            _VOLUNTEERS,
        ),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Budget participatif {de}", "en": "Participatory budget of {commune}"},
        {
            "fr": "Les habitants proposent et votent des projets pour leur quartier.",
            "en": "Residents propose and vote on projects for their neighbourhood.",
        },
        {
            "fr": "La commune consacre une enveloppe annuelle à des projets imaginés par les "
            "habitants {de}. Les idées sont déposées au printemps, analysées par les services, "
            "puis soumises au vote de la population à l'automne."
        },
        ("participation", "cohesion-sociale"),
        (11, 16),
        (_ADMIN,),
        (_ASBL, _CIT, _PUB),
        (25_000, 120_000),
        (10, 24),
        ("participation", "cohesion"),
        (
            _ind("Projets déposés", "projets", (0, 0), (15, 60), en="Proposals submitted"),
            _ind("Votants", "personnes", (0, 0), (300, 1_500), en="Voters", nl="Stemmers"),
            _ind("Budget engagé", "EUR", (0, 0), (25_000, 100_000), en="Budget committed"),
        ),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Conseil communal des jeunes {de}"},
        {"fr": "Des élèves de 5e et 6e primaire élus pour porter leurs projets à la commune."},
        {
            "fr": "Élus par leurs camarades, les jeunes conseillers {de} se réunissent chaque "
            "mois, rencontrent le collège et réalisent un projet par an : aménagement d'une plaine "
            "de jeux, action propreté, boîte à livres."
        },
        ("participation", "jeunesse"),
        (4, 16),
        (_ADMIN, _ASBL),
        (_ASBL, _PUB),
        (2_000, 10_000),
        (12, 24),
        ("participation",),
        (_PARTICIPANTS,),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Points-stop et covoiturage solidaire {a}"},
        {
            "fr": "Des arrêts d'autostop sécurisés et un réseau de conducteurs solidaires entre "
            "les villages."
        },
        {
            "fr": "Pour rejoindre la gare, le centre ou les zonings sans voiture, le projet "
            "installe des points-stop balisés {a} et met en relation habitants sans voiture et "
            "conducteurs volontaires, avec une charte et une assurance."
        },
        ("mobilite", "cohesion-sociale"),
        (10, 11, 13),
        (_CIT, _PUB),
        (_ADMIN, _ASBL),
        (3_000, 20_000),
        (12, 36),
        ("mobilite",),
        (
            _ind("Points-stop installés", "points-stop", (0, 0), (6, 20), en="Hitchhiking stops"),
            _ind(
                "Trajets partagés", "trajets/mois", (0, 10), (60, 250), en="Shared rides per month"
            ),
        ),
    ),
    ProjectTemplate(
        _GREEN,
        {
            "fr": "Réhabilitation des sentiers vicinaux {de}",
            "nl": "Herwaardering van de trage wegen in {commune_nl}",
        },
        {"fr": "Rouvrir, entretenir et baliser les petits chemins qui relient les villages."},
        {
            "fr": "Avec des bénévoles et le service travaux, les sentiers vicinaux {de} sont "
            "inventoriés, débroussaillés et balisés. Ils offrent des itinéraires sûrs vers "
            "l'école et la promenade, et un refuge pour la biodiversité."
        },
        ("mobilite", "tourisme", "participation"),
        (3, 11, 15),
        (_ASBL, _ADMIN),
        (_CIT, _PUB),
        (5_000, 40_000),
        (12, 48),
        ("mobilite", "tourisme"),
        (
            _ind("Sentiers rouverts", "km", (0, 2), (8, 30), en="Paths reopened", decimals=1),
            _VOLUNTEERS,
        ),
    ),
    ProjectTemplate(
        _GREEN,
        {
            "fr": "Produits locaux dans les cantines scolaires {de}",
            "en": "Local food in the school canteens of {commune}",
        },
        {
            "fr": "Des repas scolaires préparés avec les fruits, légumes et produits laitiers du "
            "territoire."
        },
        {
            "fr": "La commune revoit son cahier des charges pour les repas des écoles communales "
            "{de} : lots réservés aux producteurs locaux, menus de saison et visites de fermes "
            "pour les élèves."
        },
        ("alimentation-locale", "education", "economie-locale"),
        (2, 4, 12),
        (_ADMIN,),
        (_ENT, _ENT, _PUB),
        (10_000, 80_000),
        (12, 36),
        ("economie",),
        (
            _ind(
                "Part de produits locaux",
                "%",
                (5, 15),
                (35, 60),
                en="Share of local produce",
                nl="Aandeel lokale producten",
                decimals=1,
            ),
            _ind(
                "Repas servis",
                "repas/an",
                (20_000, 60_000),
                (25_000, 70_000),
                en="Meals served per year",
            ),
        ),
    ),
    ProjectTemplate(
        _GREEN,
        {
            "fr": "Communauté d'énergie renouvelable {de}",
            "nl": "Hernieuwbare energiegemeenschap in {commune_nl}",
            "en": "Renewable energy community of {commune}",
        },
        {
            "fr": "Produire et partager localement l'électricité des toitures solaires.",
            "nl": "Lokaal zonnestroom opwekken en delen.",
            "en": "Producing and sharing solar electricity locally.",
        },
        {
            "fr": "Habitants, commune et entreprises {de} mettent en commun la production de "
            "panneaux photovoltaïques installés sur des toitures publiques et privées, et "
            "partagent l'électricité produite au sein de la communauté d'énergie."
        },
        ("energie", "climat", "participation"),
        (7, 11, 13),
        (_ENT, _CIT),
        (_ADMIN, _ENT, _PUB),
        (60_000, 450_000),
        (18, 48),
        ("environnement",),
        (
            _ind(
                "Production photovoltaïque",
                "MWh/an",
                (0, 20),
                (150, 600),
                en="Solar production",
                nl="Zonnestroomproductie",
                decimals=1,
            ),
            _ind(
                "Ménages participants", "ménages", (0, 10), (60, 250), en="Participating households"
            ),
        ),
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Achat groupé d'isolation et de châssis {a}"},
        {"fr": "Des devis négociés ensemble pour rénover les maisons à moindre coût."},
        {
            "fr": "L'écopasseur communal {de} accompagne les ménages inscrits : visite de conseil, "
            "cahier des charges commun, sélection d'entrepreneurs locaux et suivi des primes "
            "régionales à la rénovation."
        },
        ("energie", "logement"),
        (7, 11, 13),
        (_ADMIN, _PUB),
        (_ENT, _ENT),
        (5_000, 30_000),
        (9, 24),
        ("environnement", "cohesion"),
        (
            _ind("Ménages inscrits", "ménages", (0, 0), (40, 150), en="Households enrolled"),
            _ind(
                "Économies d'énergie estimées",
                "MWh/an",
                (0, 0),
                (80, 400),
                en="Estimated energy savings",
                decimals=1,
            ),
        ),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Petits-déjeuners des entreprises {de}", "en": "Business breakfasts in {commune}"},
        {"fr": "Un petit déjeuner rural par trimestre pour que les entreprises se rencontrent."},
        {
            "fr": "Chaque trimestre, l'ADL invite les indépendants et dirigeants d'entreprise {de} "
            "autour d'un petit déjeuner de produits locaux, avec une courte intervention "
            "(numérique, marchés publics, recrutement) et beaucoup d'échanges."
        },
        ("economie-locale", "participation"),
        (8, 17),
        (_PUB,),
        (_ENT, _ENT, _ADMIN),
        (1_000, 8_000),
        (12, 24),
        ("economie",),
        (
            _ind(
                "Entreprises participantes",
                "entreprises",
                (0, 10),
                (30, 80),
                en="Participating businesses",
                nl="Deelnemende bedrijven",
            ),
        ),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Fête de la ruralité {a}"},
        {"fr": "Une journée à la ferme et au village pour découvrir le monde rural."},
        {
            "fr": "Portes ouvertes des fermes, marché du terroir, balades commentées et "
            "démonstrations de métiers : la fête de la ruralité {de} fait découvrir "
            "l'agriculture et les savoir-faire locaux à toutes les générations."
        },
        ("agriculture", "tourisme", "cohesion-sociale"),
        (2, 11),
        (_ASBL,),
        (_ENT, _ADMIN, _PUB, _CIT),
        (5_000, 25_000),
        (4, 10),
        ("tourisme", "economie"),
        (_ind("Visiteurs", "visiteurs", (0, 0), (1_000, 5_000), en="Visitors", nl="Bezoekers"),),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Ateliers intergénérationnels {a}"},
        {"fr": "Aînés et enfants cuisinent, jardinent et bricolent ensemble."},
        {
            "fr": "En partenariat avec les écoles et la maison de repos, des ateliers "
            "hebdomadaires réunissent aînés et enfants {de} autour de la cuisine, du jardin, "
            "des jeux et des souvenirs du village."
        },
        ("cohesion-sociale", "aines"),
        (3, 10),
        (_PUB, _ASBL),
        (_ADMIN, _ASBL, _CIT),
        (2_000, 15_000),
        (12, 36),
        ("cohesion",),
        (_PARTICIPANTS, _VOLUNTEERS),
    ),
    ProjectTemplate(
        _GREEN,
        {
            "fr": "Défi zéro déchet des familles {de}",
            "en": "Zero-waste challenge for families in {commune}",
        },
        {"fr": "Des familles accompagnées pendant un an pour réduire leurs déchets."},
        {
            "fr": "Pesées mensuelles, ateliers pratiques (produits ménagers, compost, courses en "
            "vrac) et échanges d'astuces : les familles {de} engagées dans le défi réduisent "
            "leurs déchets résiduels et partagent leur expérience."
        },
        ("economie-circulaire", "environnement"),
        (12, 13),
        (_CIT, _ADMIN),
        (_ASBL, _ENT, _PUB),
        (2_000, 12_000),
        (10, 14),
        ("environnement",),
        (
            _ind("Familles participantes", "familles", (0, 0), (20, 60), en="Families taking part"),
            _ind(
                "Réduction des déchets résiduels",
                "%",
                (0, 0),
                (20, 45),
                en="Residual waste reduction",
                decimals=1,
            ),
        ),
        recurring=True,
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Vergers et mares pédagogiques {a}"},
        {"fr": "Un verger de variétés anciennes et une mare, créés avec les écoles."},
        {
            "fr": "Sur un terrain communal {de}, élèves et bénévoles plantent des variétés "
            "fruitières anciennes et creusent une mare. Le site devient une classe en plein "
            "air et un relais pour les batraciens et les pollinisateurs."
        },
        ("biodiversite", "education"),
        (4, 15),
        (_ASBL, _ADMIN),
        (_CIT, _ENT, _PUB),
        (5_000, 35_000),
        (12, 30),
        ("environnement",),
        (
            _ind("Arbres fruitiers plantés", "arbres", (0, 0), (30, 120), en="Fruit trees planted"),
            _ind("Classes accueillies", "classes", (0, 0), (10, 40), en="School classes hosted"),
        ),
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Restauration participative du petit patrimoine {de}"},
        {"fr": "Chapelles, potales et pompes restaurées avec les habitants."},
        {
            "fr": "Le cercle d'histoire et des bénévoles recensent le petit patrimoine {de}, puis "
            "restaurent chaque année quelques éléments avec l'aide d'artisans locaux et de "
            "subsides régionaux."
        },
        ("patrimoine", "tourisme", "participation"),
        (11,),
        (_ASBL,),
        (_ADMIN, _ENT, _PUB),
        (5_000, 50_000),
        (12, 48),
        ("tourisme",),
        (_ind("Éléments restaurés", "éléments", (0, 0), (5, 20), en="Items restored"), _VOLUNTEERS),
    ),
    ProjectTemplate(
        _GREEN,
        {
            "fr": "Tiers-lieu et espace de coworking {a}",
            "en": "Third place and coworking space in {commune}",
        },
        {
            "fr": "Un lieu partagé pour télétravailler, entreprendre et se rencontrer.",
            "en": "A shared place to work remotely, start a business and meet.",
        },
        {
            "fr": "Dans un ancien bâtiment communal rénové {a}, le tiers-lieu propose des postes "
            "de coworking, une salle de réunion, un café associatif et des permanences de l'ADL "
            "pour les porteurs de projets."
        },
        ("economie-locale", "cohesion-sociale"),
        (8, 9, 11),
        (_PUB, _ADMIN),
        (_ENT, _ASBL),
        (40_000, 300_000),
        (18, 48),
        ("economie",),
        (
            _ind("Coworkers réguliers", "personnes", (0, 0), (10, 40), en="Regular coworkers"),
            _ind("Taux d'occupation", "%", (0, 0), (45, 80), en="Occupancy rate", decimals=1),
        ),
    ),
    ProjectTemplate(
        _GREEN,
        {"fr": "Vélo-école et rangs vélo vers les écoles {de}"},
        {"fr": "Apprendre à rouler en sécurité et aller à l'école à vélo, en groupe."},
        {
            "fr": "Des moniteurs bénévoles apprennent aux enfants et aux adultes à circuler à "
            "vélo, puis encadrent des rangs vélo hebdomadaires vers les écoles {de}."
        },
        ("mobilite", "education"),
        (3, 11, 13),
        (_ASBL, _CIT),
        (_ADMIN, _ENT),
        (2_000, 15_000),
        (9, 24),
        ("mobilite",),
        (
            _ind(
                "Élèves venant à vélo",
                "élèves/jour",
                (2, 10),
                (25, 80),
                en="Pupils cycling to school",
                nl="Leerlingen met de fiets",
            ),
            _VOLUNTEERS,
        ),
    ),
    # --- blue: digital & technology -------------------------------------------------------
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Guichet électronique {de}",
            "nl": "Elektronisch loket van {commune_nl}",
            "en": "Online services desk of {commune}",
        },
        {
            "fr": "Les documents de population et d'état civil demandés et payés en ligne.",
            "nl": "Bevolkingsdocumenten en akten online aanvragen en betalen.",
            "en": "Requesting and paying for civil documents online.",
        },
        {
            "fr": "Le guichet électronique {de} permet de demander en ligne, avec la carte "
            "d'identité ou itsme, les extraits d'actes, certificats de résidence et "
            "compositions de ménage, de les payer et de les recevoir par courriel.",
            "en": "The online desk of {commune} lets residents request certificates with their "
            "electronic ID, pay for them and receive them by e-mail.",
        },
        ("numerique", "administration"),
        (9, 16),
        (_ADMIN,),
        (_ENT, _PUB),
        (15_000, 90_000),
        (9, 24),
        ("numerique", "administration"),
        (
            _ind(
                "Démarches en ligne",
                "démarches/mois",
                (0, 20),
                (200, 800),
                en="Online requests per month",
                nl="Online aanvragen per maand",
            ),
            _ind(
                "Part des demandes en ligne",
                "%",
                (0, 5),
                (40, 70),
                en="Share of requests made online",
                decimals=1,
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Données ouvertes {de}", "en": "Open data of {commune}"},
        {
            "fr": "Publier les données communales, documentées et réutilisables, sur le portail "
            "régional.",
            "en": "Publishing the municipality's data, documented and reusable, on the regional "
            "portal.",
        },
        {
            "fr": "Budgets, subsides, équipements, agenda, marchés publics : la commune {de} "
            "publie ses données sous licence ouverte, décrites en DCAT-AP et moissonnées par le "
            "portail Open Data Wallonie-Bruxelles."
        },
        ("numerique", "donnees-ouvertes", "participation"),
        (9, 16, 17),
        (_ADMIN, _PUB),
        (_PUB, _ENT),
        (5_000, 40_000),
        (12, 36),
        ("numerique", "participation"),
        (
            _ind(
                "Jeux de données publiés",
                "jeux de données",
                (0, 3),
                (20, 60),
                en="Datasets published",
                nl="Gepubliceerde datasets",
            ),
            _ind(
                "Téléchargements",
                "téléchargements/an",
                (0, 50),
                (1_000, 6_000),
                en="Downloads per year",
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Éclairage public intelligent {a}", "en": "Smart street lighting in {commune}"},
        {"fr": "Des luminaires LED pilotés à distance, qui s'adaptent au passage."},
        {
            "fr": "Le remplacement des luminaires {de} par des LED connectées permet de moduler "
            "l'intensité la nuit, de repérer les pannes à distance et de préserver la faune "
            "nocturne le long des corridors écologiques."
        },
        ("energie", "numerique", "biodiversite"),
        (7, 11, 13),
        (_ADMIN,),
        (_ENT, _PUB),
        (80_000, 650_000),
        (12, 36),
        ("environnement", "numerique"),
        (
            _ind(
                "Luminaires LED connectés",
                "luminaires",
                (0, 50),
                (600, 2_500),
                en="Connected LED lights",
            ),
            _ind(
                "Consommation de l'éclairage public",
                "MWh/an",
                (600, 1_400),
                (250, 550),
                en="Street lighting consumption",
                nl="Verbruik openbare verlichting",
                decimals=1,
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Capteurs citoyens de qualité de l'air {a}",
            "nl": "Burgersensoren voor luchtkwaliteit in {commune_nl}",
        },
        {
            "fr": "Des habitants équipés de capteurs mesurent les particules fines et publient les "
            "données."
        },
        {
            "fr": "Des capteurs à bas coût installés aux fenêtres des volontaires {de} mesurent "
            "les particules fines (PM2,5 et PM10). Les mesures sont publiées en données ouvertes "
            "et discutées lors de soirées d'échange avec la commune."
        },
        ("environnement", "numerique", "participation", "sante"),
        (3, 11),
        (_CIT, _PUB),
        (_ADMIN, _ASBL),
        (3_000, 20_000),
        (12, 36),
        ("environnement", "numerique"),
        (
            _ind("Capteurs actifs", "capteurs", (0, 0), (15, 60), en="Active sensors"),
            _ind(
                "Concentration moyenne en PM2,5",
                "µg/m³",
                (12, 16),
                (8, 11),
                en="Average PM2.5 concentration",
                decimals=1,
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Formations au numérique pour les aînés {a}",
            "en": "Digital skills training for older people in {commune}",
        },
        {"fr": "Smartphone, courriel, banque en ligne et démarches administratives, pas à pas."},
        {
            "fr": "En petits groupes, les aînés {de} apprennent à utiliser leur smartphone, à "
            "échanger avec leurs proches, à effectuer leurs démarches en ligne et à déjouer "
            "les arnaques, avec des bénévoles formés."
        },
        ("numerique", "cohesion-sociale", "aines"),
        (4, 10),
        (_PUB, _ASBL, _CIT),
        (_ADMIN, _ASBL, _PUB),
        (2_000, 15_000),
        (6, 24),
        ("numerique", "cohesion"),
        (
            _ind(
                "Personnes formées",
                "personnes",
                (0, 0),
                (40, 200),
                en="People trained",
                nl="Opgeleide personen",
            ),
            _ind("Sessions organisées", "sessions", (0, 0), (10, 40), en="Sessions held"),
        ),
        recurring=True,
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Espace public numérique {de}"},
        {"fr": "Ordinateurs en libre accès et accompagnement numérique à la bibliothèque."},
        {
            "fr": "L'espace public numérique {de} met à disposition ordinateurs, imprimante et "
            "connexion, avec un animateur pour aider à rédiger un CV, remplir un formulaire "
            "en ligne ou découvrir les outils collaboratifs."
        },
        ("numerique", "cohesion-sociale"),
        (4, 9, 10),
        (_ADMIN, _PUB),
        (_ASBL, _ENT),
        (10_000, 60_000),
        (12, 36),
        ("numerique",),
        (_ind("Visites", "visites/mois", (0, 30), (150, 500), en="Visits per month"),),
    ),
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Vitrine en ligne des commerçants {de}",
            "nl": "Online etalage voor de handelaars van {commune_nl}",
        },
        {"fr": "Une plateforme commune pour commander en ligne chez les commerçants du coin."},
        {
            "fr": "Avec l'ADL, les commerçants {de} partagent une boutique en ligne : catalogue, "
            "paiement, retrait en magasin ou livraison à vélo, et chèques commerce local "
            "utilisables en ligne."
        },
        ("economie-locale", "numerique"),
        (8, 9),
        (_PUB, _ASBL),
        (_ENT, _ENT, _ADMIN),
        (8_000, 50_000),
        (12, 24),
        ("economie", "numerique"),
        (
            _ind("Commerçants inscrits", "commerçants", (0, 5), (25, 70), en="Shops on board"),
            _ind(
                "Commandes en ligne",
                "commandes/mois",
                (0, 10),
                (150, 600),
                en="Online orders per month",
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Application de balades numériques {a}",
            "en": "Walking tour app for {commune}",
            "nl": "Wandelapp voor {commune_nl}",
        },
        {
            "fr": "Des circuits géolocalisés avec récits, photos d'archives et jeux pour les "
            "familles.",
            "en": "Geolocated walks with stories, archive photos and games for families.",
        },
        {
            "fr": "Le cercle d'histoire, la maison du tourisme et une agence locale créent des "
            "balades numériques {de} : parcours hors ligne, points d'intérêt commentés et "
            "chasse au trésor pour les enfants."
        },
        ("tourisme", "numerique", "patrimoine"),
        (8, 11),
        (_PUB, _ASBL),
        (_ENT, _ASBL, _ADMIN),
        (10_000, 60_000),
        (9, 24),
        ("tourisme", "numerique"),
        (
            _ind(
                "Téléchargements",
                "téléchargements",
                (0, 0),
                (1_000, 8_000),
                en="Downloads",
                nl="Downloads",
            ),
            _ind("Circuits publiés", "circuits", (0, 0), (4, 15), en="Trails published"),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Wifi public dans les lieux de rencontre {de}"},
        {"fr": "Un accès wifi gratuit sur les places, à la bibliothèque et au hall sportif."},
        {
            "fr": "Des bornes wifi gratuites, financées en partie par l'Union européenne, sont "
            "installées dans les lieux de rencontre {de} ; une page d'accueil présente "
            "l'agenda local et les services communaux."
        },
        ("numerique", "connectivite"),
        (9, 11),
        (_ADMIN,),
        (_ENT, _PUB),
        (15_000, 60_000),
        (6, 18),
        ("numerique",),
        (
            _ind("Bornes installées", "bornes", (0, 0), (8, 25), en="Access points installed"),
            _ind(
                "Connexions", "connexions/mois", (0, 0), (2_000, 12_000), en="Connections per month"
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Signalement en ligne des problèmes de voirie {a}",
            "en": "Online reporting of street issues in {commune}",
        },
        {"fr": "Nids-de-poule, dépôts clandestins, éclairage en panne : signaler en trois clics."},
        {
            "fr": "Une application permet aux habitants {de} de signaler, photo et position à "
            "l'appui, les problèmes rencontrés sur l'espace public, puis de suivre leur "
            "traitement par le service travaux."
        },
        ("numerique", "participation", "mobilite"),
        (11, 16),
        (_ADMIN,),
        (_ENT, _PUB),
        (5_000, 30_000),
        (9, 24),
        ("numerique", "participation", "administration"),
        (
            _ind(
                "Signalements reçus",
                "signalements/mois",
                (0, 0),
                (40, 200),
                en="Reports received per month",
            ),
            _ind(
                "Signalements traités en moins de 15 jours",
                "%",
                (30, 50),
                (75, 95),
                en="Reports handled within 15 days",
                decimals=1,
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Plateforme de consultation citoyenne en ligne {de}"},
        {"fr": "Consulter les habitants sur les grands projets, en ligne et en réunion."},
        {
            "fr": "Une plateforme libre de participation permet à la commune {de} de recueillir "
            "avis et propositions sur ses projets (plan de mobilité, aménagement de places), "
            "en complément des réunions de village."
        },
        ("participation", "numerique"),
        (16,),
        (_ADMIN, _PUB),
        (_PUB, _ASBL, _ENT),
        (5_000, 35_000),
        (9, 24),
        ("participation", "numerique"),
        (
            _ind("Comptes citoyens", "comptes", (0, 0), (300, 1_500), en="Citizen accounts"),
            _ind(
                "Contributions",
                "contributions",
                (0, 0),
                (200, 1_200),
                en="Contributions",
                nl="Bijdragen",
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Cartographie du patrimoine communal {de}"},
        {
            "fr": "Voiries, bâtiments, espaces verts et réseaux réunis dans un système "
            "d'information géographique."
        },
        {
            "fr": "Les services {de} encodent dans un SIG l'inventaire des voiries, bâtiments, "
            "avaloirs, arbres et espaces verts, pour planifier l'entretien et publier des "
            "cartes en ligne."
        },
        ("numerique", "administration"),
        (9, 11),
        (_ADMIN,),
        (_ENT, _PUB),
        (10_000, 70_000),
        (12, 30),
        ("administration", "numerique"),
        (
            _ind(
                "Couches cartographiques publiées",
                "couches",
                (0, 2),
                (12, 40),
                en="Map layers published",
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Télérelève énergétique des bâtiments communaux {de}",
            "en": "Remote energy monitoring of the municipal buildings of {commune}",
        },
        {"fr": "Des compteurs connectés pour suivre et réduire les consommations."},
        {
            "fr": "Les bâtiments communaux {de} sont équipés de compteurs communicants. Un tableau "
            "de bord alerte en cas de surconsommation et aide l'écopasseur à prioriser les "
            "travaux d'isolation."
        },
        ("energie", "numerique"),
        (7, 13),
        (_ADMIN,),
        (_ENT, _PUB),
        (15_000, 80_000),
        (12, 24),
        ("environnement", "numerique"),
        (
            _ind("Bâtiments équipés", "bâtiments", (0, 0), (8, 25), en="Buildings equipped"),
            _ind(
                "Consommation de gaz des bâtiments",
                "MWh/an",
                (900, 2_000),
                (600, 1_400),
                en="Gas consumption of buildings",
                nl="Gasverbruik van gebouwen",
                decimals=1,
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "École numérique {a}"},
        {"fr": "Tablettes, écrans interactifs et formation des enseignants."},
        {
            "fr": "Les écoles communales {de} reçoivent écrans interactifs et tablettes ; les "
            "enseignants sont formés et un référent numérique accompagne les projets de "
            "classe."
        },
        ("education", "numerique"),
        (4,),
        (_ADMIN,),
        (_ENT, _PUB, _ASBL),
        (20_000, 120_000),
        (12, 36),
        ("numerique",),
        (
            _ind("Classes équipées", "classes", (0, 3), (15, 40), en="Classrooms equipped"),
            _ind("Enseignants formés", "enseignants", (0, 0), (20, 60), en="Teachers trained"),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Bornes de recharge pour véhicules électriques {a}",
            "nl": "Laadpalen voor elektrische voertuigen in {commune_nl}",
        },
        {"fr": "Des bornes publiques de recharge sur les parkings du centre et des villages."},
        {
            "fr": "La commune {de} installe, avec un opérateur, des bornes de recharge accessibles "
            "à tous, payables par carte, et suit leur utilisation pour planifier les "
            "suivantes."
        },
        ("mobilite", "energie"),
        (7, 11, 13),
        (_ADMIN,),
        (_ENT, _PUB),
        (20_000, 150_000),
        (6, 24),
        ("mobilite",),
        (
            _ind(
                "Points de recharge",
                "points",
                (0, 2),
                (10, 40),
                en="Charging points",
                nl="Laadpunten",
            ),
            _ind(
                "Recharges",
                "recharges/mois",
                (0, 20),
                (300, 1_500),
                en="Charging sessions per month",
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Réservation en ligne des salles communales {de}"},
        {"fr": "Voir les disponibilités, réserver et payer une salle en quelques clics."},
        {
            "fr": "Associations et habitants {de} consultent le calendrier des salles communales, "
            "réservent et paient en ligne ; les clés sont remplacées par des serrures "
            "connectées."
        },
        ("numerique", "cohesion-sociale"),
        (11, 16),
        (_ADMIN,),
        (_ENT, _ASBL),
        (8_000, 40_000),
        (6, 18),
        ("numerique", "cohesion"),
        (
            _ind(
                "Réservations en ligne",
                "réservations/mois",
                (0, 0),
                (30, 120),
                en="Online bookings per month",
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Plan de cybersécurité de l'administration {de}"},
        {"fr": "Sauvegardes, double authentification et sensibilisation du personnel."},
        {
            "fr": "Après un audit, l'administration {de} renforce sa sécurité informatique : "
            "sauvegardes hors site, authentification à deux facteurs, mises à jour "
            "centralisées et exercices de sensibilisation à l'hameçonnage."
        },
        ("numerique", "administration"),
        (9, 16),
        (_ADMIN,),
        (_ENT, _PUB),
        (10_000, 60_000),
        (6, 18),
        ("administration", "numerique"),
        (
            _ind("Agents sensibilisés", "agents", (0, 0), (40, 150), en="Staff trained"),
            _ind(
                "Taux de clic lors des tests d'hameçonnage",
                "%",
                (20, 35),
                (3, 8),
                en="Phishing test click rate",
                decimals=1,
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Agenda partagé des associations {de}", "en": "Shared events calendar of {commune}"},
        {
            "fr": "Un agenda en ligne alimenté par les associations et diffusé partout.",
            "en": "An online calendar fed by local groups and shared everywhere.",
        },
        {
            "fr": "Les associations {de} encodent elles-mêmes leurs activités dans un agenda "
            "commun, repris sur le site communal, dans le bulletin et en données ouvertes "
            "(iCal)."
        },
        ("numerique", "cohesion-sociale", "culture"),
        (11, 17),
        (_ADMIN, _ASBL),
        (_ASBL, _PUB),
        (3_000, 20_000),
        (6, 18),
        ("numerique", "cohesion"),
        (
            _ind(
                "Associations contributrices",
                "associations",
                (0, 5),
                (30, 90),
                en="Contributing groups",
            ),
            _ind(
                "Événements publiés",
                "événements/an",
                (0, 50),
                (300, 900),
                en="Events published per year",
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Réservation en ligne du taxi social {de}"},
        {"fr": "Réserver un trajet du taxi social par téléphone ou en ligne, et suivre sa course."},
        {
            "fr": "Le CPAS {de} modernise son taxi social : réservation en ligne ou par téléphone, "
            "planification des tournées et rappel par SMS la veille du rendez-vous."
        },
        ("mobilite", "numerique", "cohesion-sociale"),
        (10, 11),
        (_PUB, _ADMIN),
        (_ENT, _ASBL),
        (5_000, 30_000),
        (6, 18),
        ("mobilite", "cohesion"),
        (_ind("Trajets réalisés", "trajets/mois", (40, 120), (120, 300), en="Rides per month"),),
    ),
    ProjectTemplate(
        _BLUE,
        {
            "fr": "Inventaire participatif de la biodiversité {de}",
            "en": "Citizen biodiversity survey of {commune}",
        },
        {
            "fr": "Observer, photographier et encoder la faune et la flore avec une application.",
            "en": "Observing, photographing and recording wildlife with an app.",
        },
        {
            "fr": "Sorties nature guidées et application d'encodage : les habitants {de} "
            "contribuent à l'inventaire de la biodiversité communale, dont les données "
            "orientent la gestion des bords de routes et des espaces verts."
        },
        ("biodiversite", "numerique", "participation"),
        (15, 17),
        (_ASBL, _CIT),
        (_ADMIN, _PUB),
        (2_000, 15_000),
        (12, 36),
        ("environnement", "numerique"),
        (
            _ind(
                "Observations encodées",
                "observations",
                (0, 200),
                (2_000, 9_000),
                en="Observations recorded",
                nl="Ingevoerde waarnemingen",
            ),
            _ind("Espèces recensées", "espèces", (50, 150), (300, 700), en="Species recorded"),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Carte interactive des producteurs locaux {de}"},
        {"fr": "Où acheter en direct ? Une carte en ligne des fermes, marchés et points de vente."},
        {
            "fr": "Producteurs, distributeurs automatiques, marchés et groupes d'achat {de} sont "
            "réunis sur une carte en ligne, mise à jour par les producteurs eux-mêmes et "
            "publiée en données ouvertes."
        },
        ("alimentation-locale", "numerique", "economie-locale"),
        (2, 12),
        (_PUB, _ADMIN),
        (_ENT, _ENT, _CIT),
        (3_000, 20_000),
        (6, 18),
        ("economie", "numerique"),
        (
            _ind(
                "Producteurs référencés", "producteurs", (0, 10), (40, 120), en="Producers listed"
            ),
            _ind(
                "Consultations de la carte",
                "consultations/mois",
                (0, 0),
                (500, 3_000),
                en="Map views per month",
            ),
        ),
    ),
    ProjectTemplate(
        _BLUE,
        {"fr": "Formations à la communication web des associations {de}"},
        {
            "fr": "Site, réseaux sociaux, outils collaboratifs : des formations pratiques pour les "
            "bénévoles."
        },
        {
            "fr": "Un cycle de formations pratiques aide les associations {de} à présenter leurs "
            "activités en ligne, à utiliser les réseaux sociaux avec discernement et à "
            "travailler avec des outils collaboratifs libres."
        },
        ("numerique", "participation"),
        (4, 17),
        (_PUB,),
        (_ADMIN, _ASBL, _ENT),
        (2_000, 12_000),
        (4, 12),
        ("numerique", "cohesion"),
        (
            _ind("Associations formées", "associations", (0, 0), (10, 40), en="Groups trained"),
            _PARTICIPANTS,
        ),
        recurring=True,
    ),
)

#: Notes that some measurements carry.
VALUE_NOTES = ("Relevé trimestriel", "Chiffre provisoire", "Estimation", "Bilan annuel")
