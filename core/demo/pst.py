"""The PST (Programme Stratégique Transversal) 2025-2030 that the demo communes draw from:
strategic objectives, their operational objectives and the actions under those.
"""

from __future__ import annotations

#: Theme -> (strategic objective, ((operational objective, (action, ...)), ...)). Each commune's
#: PST takes the administration theme and two or three others.
THEMES: dict[str, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "administration": (
        "Être une administration moderne, efficace et proche de ses citoyens",
        (
            (
                "Moderniser la gestion interne et les outils de l'administration",
                (
                    "Déployer un logiciel de gestion du courrier et des délibérations",
                    "Dématérialiser les bons de commande et les factures",
                    "Mettre en place un tableau de bord de suivi du PST",
                    "Former les chefs de service à la gestion de projet",
                ),
            ),
            (
                "Améliorer l'accueil et l'information du citoyen",
                (
                    "Réaménager le guichet d'accueil de la maison communale",
                    "Refondre le site internet communal",
                    "Publier un bulletin communal trimestriel",
                    "Organiser des permanences décentralisées dans les villages",
                ),
            ),
            (
                "Valoriser et fidéliser le personnel communal",
                (
                    "Élaborer un plan de formation pluriannuel du personnel",
                    "Encadrer le télétravail par un règlement",
                    "Réaliser une enquête de bien-être au travail",
                ),
            ),
        ),
    ),
    "numerique": (
        "Être une commune connectée qui réussit sa transition numérique",
        (
            (
                "Développer les services en ligne",
                (
                    "Ouvrir un guichet électronique pour les documents de population",
                    "Permettre la prise de rendez-vous en ligne",
                    "Proposer le paiement électronique de toutes les redevances",
                    "Publier les données communales en données ouvertes",
                ),
            ),
            (
                "Réduire la fracture numérique",
                (
                    "Créer un espace public numérique à la bibliothèque",
                    "Organiser des formations au numérique pour les aînés",
                    "Prêter des ordinateurs reconditionnés aux familles",
                ),
            ),
            (
                "Améliorer la connectivité du territoire",
                (
                    "Cartographier les zones mal couvertes par le réseau mobile",
                    "Installer un wifi public dans les lieux de rencontre",
                    "Équiper les écoles communales de tableaux interactifs",
                ),
            ),
        ),
    ),
    "mobilite": (
        "Être une commune où l'on se déplace de manière sûre et durable",
        (
            (
                "Développer le réseau de mobilité douce",
                (
                    "Aménager une liaison cyclable entre les villages et le centre",
                    "Réhabiliter les sentiers et chemins vicinaux",
                    "Installer des arceaux vélos aux arrêts de bus et aux écoles",
                ),
            ),
            (
                "Sécuriser les abords des écoles et les traversées de villages",
                (
                    "Créer des zones 30 aux abords des écoles",
                    "Placer des radars préventifs aux entrées de villages",
                    "Aménager des plateaux ralentisseurs aux carrefours dangereux",
                ),
            ),
            (
                "Encourager les alternatives à la voiture individuelle",
                (
                    "Lancer un réseau de covoiturage local",
                    "Soutenir le service de taxi social",
                    "Installer des bornes de recharge pour véhicules électriques",
                    "Créer des points-stop sécurisés",
                ),
            ),
        ),
    ),
    "cohesion": (
        "Être une commune solidaire, où il fait bon vivre ensemble",
        (
            (
                "Renforcer les liens entre les générations",
                (
                    "Installer un conseil consultatif communal des aînés",
                    "Organiser des ateliers intergénérationnels",
                    "Soutenir les repas communautaires",
                ),
            ),
            (
                "Soutenir la vie associative",
                (
                    "Rénover la salle polyvalente",
                    "Créer un guichet unique pour les associations",
                    "Octroyer des subsides aux projets citoyens",
                ),
            ),
            (
                "Favoriser l'accès au logement",
                (
                    "Créer des logements d'insertion",
                    "Dresser l'inventaire des logements inoccupés",
                    "Accompagner les jeunes ménages dans l'achat d'un premier logement",
                ),
            ),
        ),
    ),
    "environnement": (
        "Être une commune respectueuse de son environnement et engagée dans la transition "
        "énergétique",
        (
            (
                "Réduire la consommation d'énergie du patrimoine communal",
                (
                    "Réaliser le cadastre énergétique des bâtiments communaux",
                    "Isoler l'école communale",
                    "Remplacer l'éclairage public par des luminaires LED",
                    "Installer des panneaux photovoltaïques sur les toitures communales",
                ),
            ),
            (
                "Protéger et développer la biodiversité",
                (
                    "Planter des haies indigènes le long des chemins agricoles",
                    "Généraliser la gestion différenciée des espaces verts",
                    "Créer des mares et des vergers communaux",
                ),
            ),
            (
                "Réduire et valoriser les déchets",
                (
                    "Soutenir la création d'un repair café",
                    "Installer des composts de quartier",
                    "Lutter contre les dépôts clandestins",
                    "Actualiser le plan d'action en faveur de l'énergie durable et du climat "
                    "(PAEDC)",
                ),
            ),
        ),
    ),
    "economie": (
        "Être une commune qui soutient son économie locale et son agriculture",
        (
            (
                "Dynamiser le commerce de proximité",
                (
                    "Créer des chèques commerce local",
                    "Organiser un marché hebdomadaire de producteurs",
                    "Réduire le nombre de cellules commerciales vides",
                ),
            ),
            (
                "Soutenir les circuits courts et l'agriculture",
                (
                    "Développer un hall relais agricole",
                    "Introduire des produits locaux dans les cantines scolaires",
                    "Publier une carte des producteurs locaux",
                ),
            ),
            (
                "Accompagner les entrepreneurs",
                (
                    "Ouvrir un espace de coworking",
                    "Organiser des petits-déjeuners d'entreprises",
                    "Soutenir la création d'une couveuse d'entreprises",
                ),
            ),
        ),
    ),
    "tourisme": (
        "Être une commune attractive, qui valorise son patrimoine et sa culture",
        (
            (
                "Valoriser le patrimoine bâti et naturel",
                (
                    "Restaurer le petit patrimoine (potales, chapelles, pompes)",
                    "Baliser des circuits de promenade thématiques",
                    "Installer des panneaux d'interprétation",
                ),
            ),
            (
                "Développer l'offre touristique et culturelle",
                (
                    "Soutenir les événements culturels locaux",
                    "Créer une application de balades numériques",
                    "Développer l'accueil des cyclotouristes le long du RAVeL",
                ),
            ),
        ),
    ),
    "participation": (
        "Être une commune qui associe ses citoyens aux décisions",
        (
            (
                "Développer la participation citoyenne",
                (
                    "Lancer un budget participatif",
                    "Ouvrir une plateforme de consultation en ligne",
                    "Organiser des assemblées de village",
                ),
            ),
            (
                "Communiquer de manière transparente",
                (
                    "Diffuser les séances du conseil communal en direct",
                    "Publier les décisions du collège en ligne",
                    "Créer un conseil communal des jeunes",
                ),
            ),
        ),
    ),
}

#: PST actions that are works or equipment (bigger budgets).
WORKS = (
    "Aménager", "Réaménager", "Rénover", "Isoler", "Remplacer", "Installer", "Équiper",
    "Créer des logements", "Créer des mares", "Développer un hall", "Ouvrir un espace",
    "Restaurer", "Placer",
)  # fmt: skip
