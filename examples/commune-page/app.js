// A commune's page on Bocage's GraphQL API: its projects (search, pages both ways), its
// upcoming events (seats left, calendar links) and an open survey to answer, in French or
// Dutch. Plain JavaScript, no build step, no library: a front-end developer's starting point.
"use strict";

const params = new URLSearchParams(location.search);
const API = params.get("api") || "http://127.0.0.1:8000/graphql";
const NIS = params.get("commune") || "64034";
const PAGE = Number(params.get("page") || 5);

const TEXTS = {
  fr: {
    projects: "Projets", search: "Rechercher", previous: "← Précédents", next: "Suivants →",
    events: "Prochains évènements", count: (n) => `${n} projet${n === 1 ? "" : "s"}`,
    seats: (n) => (n === null ? "places illimitées" : `${n} place${n === 1 ? "" : "s"} restante${n === 1 ? "" : "s"}`),
    calendar: "Ajouter à mon agenda", submit: "Envoyer", thanks: "Merci, votre réponse est enregistrée.",
    noEvents: "Aucun évènement prévu.",
  },
  nl: {
    projects: "Projecten", search: "Zoeken", previous: "← Vorige", next: "Volgende →",
    events: "Komende evenementen", count: (n) => `${n} project${n === 1 ? "" : "en"}`,
    seats: (n) => (n === null ? "onbeperkt plaatsen" : `nog ${n} plaats${n === 1 ? "" : "en"}`),
    calendar: "Toevoegen aan mijn agenda", submit: "Versturen", thanks: "Bedankt, uw antwoord is opgeslagen.",
    noEvents: "Geen evenementen gepland.",
  },
};

const state = { lang: "fr", search: "", page: { first: PAGE } };

/** One GraphQL request; the errors of the GraphQL-over-HTTP answer are thrown. */
async function graphql(query, variables) {
  const response = await fetch(API, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json;q=0.9",
      "Accept-Language": state.lang,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const error = body.errors[0];
    throw new Error(`${error.extensions?.code || response.status}: ${error.message}`);
  }
  return body.data;
}

const PROJECTS = `
query Projects($nis: [String!], $search: String, $first: Int, $after: String, $last: Int, $before: String) {
  projects(first: $first, after: $after, last: $last, before: $before,
           filter: { communeNisCodes: $nis, search: $search }) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id title focus status }
  }
}`;

const EVENTS = `
query Events($nis: String!, $now: DateTime!) {
  workshopsEvents(commune: $nis, startsAfter: $now, first: 10) {
    nodes { id title startsAt capacity seatsLeft icalUrl }
  }
}`;

const SURVEYS = `
query Surveys {
  surveys(status: OPEN, first: 10) {
    nodes {
      id title intro publicKey
      questions { key type required title options { value label } rows { value label } }
    }
  }
}`;

const SUBMIT = `
mutation Submit($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { submitted errors { field code message } }
}`;

const $ = (selector) => document.querySelector(selector);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function showError(error) {
  $("#error").hidden = false;
  $("#error").textContent = String(error.message || error);
}

function translateStatic() {
  const texts = TEXTS[state.lang];
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-text]")) {
    node.textContent = texts[node.dataset.text];
  }
  for (const button of document.querySelectorAll("nav button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
}

async function loadCommune() {
  const data = await graphql(`query($nis: String!) { commune(nisCode: $nis) { name } }`, { nis: NIS });
  $("#commune-name").textContent = data.commune ? data.commune.name : NIS;
}

async function loadProjects() {
  const data = await graphql(PROJECTS, {
    nis: [NIS],
    search: state.search || null,
    ...state.page,
  });
  const { totalCount, pageInfo, nodes } = data.projects;
  state.pageInfo = pageInfo;
  $("#projects-count").textContent = TEXTS[state.lang].count(totalCount);
  $("#project-list").replaceChildren(
    ...nodes.map((p) =>
      element("li", { "data-id": p.id }, element("span", { class: `focus ${p.focus}` }, p.focus), " ", p.title),
    ),
  );
  $("#next").disabled = !pageInfo.hasNextPage;
  $("#previous").disabled = !pageInfo.hasPreviousPage;
}

async function loadEvents() {
  const data = await graphql(EVENTS, { nis: NIS, now: new Date().toISOString() });
  const texts = TEXTS[state.lang];
  const events = data.workshopsEvents.nodes;
  $("#event-list").replaceChildren(
    ...(events.length
      ? events.map((e) =>
          element(
            "li",
            { "data-id": e.id },
            element("time", { datetime: e.startsAt }, new Date(e.startsAt).toLocaleString(state.lang)),
            ` ${e.title} (${texts.seats(e.seatsLeft)}) `,
            element("a", { href: e.icalUrl, class: "ical" }, texts.calendar),
          ),
        )
      : [element("li", {}, texts.noEvents)]),
  );
}

function questionField(question) {
  const name = `q-${question.key}`;
  const legend = element("legend", {}, question.title + (question.required ? " *" : ""));
  const field = element("fieldset", { "data-question": question.key, "data-type": question.type }, legend);
  const choice = (type, option) =>
    element("label", {}, element("input", { type, name, value: option.value }), " ", option.label);
  switch (question.type) {
    case "SINGLE_CHOICE":
    case "SCALE":
      field.append(...question.options.map((o) => choice("radio", o)));
      break;
    case "MULTIPLE_CHOICE":
    case "RANKING":
      field.append(...question.options.map((o) => choice("checkbox", o)));
      break;
    case "NUMBER":
      field.append(element("input", { type: "number", name, step: "any" }));
      break;
    case "DATE":
      field.append(element("input", { type: "date", name }));
      break;
    case "FREE_TEXT":
      field.append(element("textarea", { name }));
      break;
    case "MATRIX":
      for (const row of question.rows) {
        const select = element("select", { name: `${name}-${row.value}`, "data-row": row.value },
          element("option", { value: "" }, "—"),
          ...question.options.map((o) => element("option", { value: o.value }, o.label)));
        field.append(element("label", {}, row.label, " ", select));
      }
      break;
    default: // SECTION: a heading
      break;
  }
  field.append(element("p", { class: "problem" }));
  return field;
}

function answerOf(field) {
  const key = field.dataset.question;
  const inputs = [...field.querySelectorAll("input, textarea, select")];
  switch (field.dataset.type) {
    case "SINGLE_CHOICE":
    case "MULTIPLE_CHOICE":
    case "RANKING": {
      const choices = inputs.filter((i) => i.checked).map((i) => i.value);
      return choices.length ? { question: key, choices } : null;
    }
    case "SCALE": {
      const chosen = inputs.find((i) => i.checked);
      return chosen ? { question: key, number: Number(chosen.value) } : null;
    }
    case "NUMBER":
      return inputs[0].value ? { question: key, number: Number(inputs[0].value) } : null;
    case "DATE":
      return inputs[0].value ? { question: key, date: inputs[0].value } : null;
    case "FREE_TEXT":
      return inputs[0].value ? { question: key, text: inputs[0].value } : null;
    case "MATRIX": {
      const cells = inputs.filter((s) => s.value).map((s) => ({ row: s.dataset.row, column: s.value }));
      return cells.length ? { question: key, cells } : null;
    }
    default:
      return null;
  }
}

async function loadSurvey() {
  const data = await graphql(SURVEYS);
  const survey = data.surveys.nodes.find((s) => s.publicKey);
  $("#survey").hidden = !survey;
  if (!survey) return;
  $("#survey-title").textContent = survey.title;
  $("#survey-intro").textContent = survey.intro || "";
  const form = $("#survey-form");
  form.replaceChildren(
    ...survey.questions.map(questionField),
    element("button", { type: "submit" }, TEXTS[state.lang].submit),
  );
  form.onsubmit = async (event) => {
    event.preventDefault();
    const fields = [...form.querySelectorAll("fieldset")];
    const answers = fields.map(answerOf).filter(Boolean);
    const result = await graphql(SUBMIT, { input: { publicKey: survey.publicKey, answers } });
    const { submitted, errors } = result.submitSurveyResponse;
    for (const field of fields) field.querySelector(".problem").textContent = "";
    for (const error of errors) {
      const field = form.querySelector(`fieldset[data-question="${CSS.escape(error.field || "")}"]`);
      (field ? field.querySelector(".problem") : $("#survey-result")).textContent = error.message;
    }
    $("#survey-result").textContent = submitted ? TEXTS[state.lang].thanks : $("#survey-result").textContent;
  };
}

async function render() {
  translateStatic();
  try {
    await Promise.all([loadCommune(), loadProjects(), loadEvents(), loadSurvey()]);
    document.body.dataset.ready = "true";
  } catch (error) {
    showError(error);
  }
}

$("#search").addEventListener("submit", (event) => {
  event.preventDefault();
  state.search = $("#search-text").value.trim();
  state.page = { first: PAGE };
  loadProjects().catch(showError);
});
$("#next").addEventListener("click", () => {
  state.page = { first: PAGE, after: state.pageInfo.endCursor };
  loadProjects().catch(showError);
});
$("#previous").addEventListener("click", () => {
  state.page = { last: PAGE, before: state.pageInfo.startCursor };
  loadProjects().catch(showError);
});
for (const button of document.querySelectorAll("nav button")) {
  button.addEventListener("click", () => {
    state.lang = button.dataset.lang;
    delete document.body.dataset.ready;
    render();
  });
}

render();
