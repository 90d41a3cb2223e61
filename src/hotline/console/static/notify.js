/*
 * hotline operator console: forms for formatted notifications, generated from their schemas.
 *
 * No format has a hand-written form. The page carries every format's schema
 * (GET /api/formats: hotline.formats' Format.schema(), titled in the user's
 * language), and this script builds the inputs from it: text, numbers with
 * their unit, UTC times, enumerations as selects with translated values,
 * "to be decided" toggles where a field allows it, nested records, lists with
 * Add and Remove, choices (an area is a name, a polygon or a circle) as radio
 * buttons, and "exactly one of" groups (a flight's area or corridor). Every
 * input sits in an element whose data-field is the field's path as the
 * validator names it ("window.start", "corridor[2].lat"), so each problem the
 * terminal reports is shown beside its own input, in .field-error.
 *
 * The browser does not validate: what the operator typed is sent as it is
 * (numbers as numbers when they read as numbers), and the terminal checks
 * every field before anything is stored. Used on /notify, and on a meeting
 * proposal's page for the reply. Words come from console.js's table (t()).
 */
"use strict";

(function () {
  const shared = window.hotlineConsole;
  if (!shared) return;
  const t = shared.t;
  const api = shared.api;
  const language = document.body.dataset.language || "en";
  const catalogue = shared.readJson("formats-data");
  if (!catalogue) return;
  const formats = {};
  catalogue.formats.forEach(function (spec) {
    formats[spec.code] = spec;
  });
  const units = catalogue.units || {};
  const TEXTUAL = { text: true, code: true, time: true, integer: true, number: true };
  let serial = 0;

  /* -- helpers ------------------------------------------------------------ */

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function labelOf(spec) {
    return (spec.labels && (spec.labels[language] || spec.labels.en)) || spec.name;
  }

  function childPath(path, name) {
    return path ? path + "." + name : name;
  }

  function parentPath(path) {
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    return cut > 0 ? path.slice(0, cut) : "";
  }

  function freshId() {
    serial += 1;
    return "nf-" + serial;
  }

  function errorSlot() {
    const slot = element("p", "field-error");
    slot.hidden = true;
    return slot;
  }

  /* What the operator typed, as the validator should see it. */
  function readNumber(text) {
    let value = text.trim();
    if (value === "") return undefined;
    if (/^[+-]?[0-9]+,[0-9]+$/.test(value)) value = value.replace(",", "."); // a decimal comma
    if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(value)) return Number(value);
    return value; // not a number: sent as typed, and the terminal says so beside the field
  }

  /* A UTC time: "2026-11-23 14:00", "…T14:00Z" and "…T14:00:00 UTC" all mean …T14:00:00Z. */
  function readTime(text) {
    const value = text.trim();
    if (value === "") return undefined;
    const parts = /^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2})(:[0-9]{2}(\.[0-9]{1,6})?)? ?(Z|z|UTC)?$/.exec(value);
    if (!parts) return value; // sent as typed: the terminal says what a time must look like
    return parts[1] + "T" + parts[2] + (parts[3] || ":00") + "Z";
  }

  /* -- controls: one per field; each reads and fills its value --------------- */

  function wrapper(tag, spec, path, parentLabel) {
    const node = element(tag, "field field-" + spec.type);
    node.dataset.field = path;
    node.dataset.label = parentLabel ? parentLabel + " › " + labelOf(spec) : labelOf(spec);
    if (spec.required) node.classList.add("required");
    return node;
  }

  function hint(spec) {
    const parts = [];
    if (!spec.required) parts.push(t("optional"));
    if (spec.min !== null && spec.min !== undefined) {
      parts.push((spec.exclusive_min ? "> " : "≥ ") + spec.min);
    }
    if (spec.max !== null && spec.max !== undefined) parts.push("≤ " + spec.max);
    if (spec.type === "time") parts.push(t("UTC, like 2026-11-23T14:00Z"));
    return parts.join(" · ");
  }

  function leaf(spec, path, parentLabel) {
    const node = wrapper("div", spec, path, parentLabel);
    const id = freshId();
    const label = element("label", "field-label", labelOf(spec));
    label.htmlFor = id;
    const row = element("div", "field-control");
    let input;
    if (spec.type === "enum") {
      input = element("select", "field-input");
      input.appendChild(new Option(t("choose…"), ""));
      spec.values.forEach(function (value) {
        const reading = spec.value_labels && spec.value_labels[value];
        input.appendChild(new Option(reading ? reading[language] || value : value, value));
      });
    } else if (spec.type === "boolean") {
      input = element("input", "field-input");
      input.type = "checkbox";
    } else if (spec.type === "text" && spec.multiline) {
      input = element("textarea", "field-input");
      input.rows = 3;
    } else {
      input = element("input", "field-input");
      input.type = "text";
      input.spellcheck = spec.type === "text";
      if (spec.type === "integer" || spec.type === "number") input.inputMode = "decimal";
      if (spec.type === "time") input.placeholder = "2026-11-23T14:00Z";
      if (spec.max_length) input.maxLength = spec.max_length;
    }
    input.id = id;
    input.name = path;
    input.dataset.testid = "field-input";
    row.appendChild(input);
    if (spec.unit) row.appendChild(element("span", "field-unit", units[spec.unit] || spec.unit));
    let tbd = null;
    if (spec.tbd) {
      const tbdLabel = element("label", "tbd");
      tbd = element("input", "tbd-toggle");
      tbd.type = "checkbox";
      tbd.addEventListener("change", function () {
        input.disabled = tbd.checked;
      });
      tbdLabel.append(tbd, " " + t("to be decided"));
      row.appendChild(tbdLabel);
    }
    const help = hint(spec);
    node.append(label, row);
    if (help) node.appendChild(element("p", "field-hint", help));
    node.appendChild(errorSlot());
    return {
      spec: spec,
      element: node,
      read: function () {
        if (tbd && tbd.checked) return "tbd";
        if (spec.type === "boolean") return input.checked;
        if (spec.type === "enum") return input.value === "" ? undefined : input.value;
        if (spec.type === "integer" || spec.type === "number") return readNumber(input.value);
        if (spec.type === "time") return readTime(input.value);
        const text = spec.multiline ? input.value : input.value.trim();
        return text.trim() === "" ? undefined : text;
      },
      fill: function (value) {
        if (tbd) {
          tbd.checked = value === "tbd";
          input.disabled = tbd.checked;
          if (tbd.checked) return;
        }
        if (spec.type === "boolean") input.checked = value === true;
        else input.value = value === undefined || value === null ? "" : String(value);
      },
    };
  }

  /* A record's fields; "exactly one of" groups become a radio choice between their fields. */
  function fieldsOf(spec, path, container, parentLabel) {
    const controls = {};
    const groups = {};
    (spec.exactly_one_of || []).forEach(function (group) {
      group.forEach(function (name) {
        groups[name] = group;
      });
    });
    const chosen = {};
    spec.fields.forEach(function (field) {
      if (field.computed) return; // set by validation itself, never typed in
      const group = groups[field.name];
      // A chosen member of a group must be given: its empty inputs are its problems.
      const own = group ? Object.assign({}, field, { required: true }) : field;
      const control = build(own, childPath(path, field.name), parentLabel);
      controls[field.name] = control;
      if (!group) {
        container.appendChild(control.element);
        return;
      }
      const key = group.join("|");
      if (!chosen[key]) {
        chosen[key] = makeGroup(group, spec, path, container);
      }
      chosen[key].add(field.name, control);
    });
    return {
      read: function () {
        const value = {};
        Object.keys(controls).forEach(function (name) {
          const group = groups[name];
          if (group && chosen[group.join("|")].selected() !== name) return;
          const item = controls[name].read();
          if (item !== undefined) value[name] = item;
        });
        return value;
      },
      fill: function (value) {
        Object.keys(controls).forEach(function (name) {
          const given = value ? value[name] : undefined;
          controls[name].fill(given);
          const group = groups[name];
          if (group && given !== undefined && given !== null) chosen[group.join("|")].select(name);
        });
      },
    };
  }

  function makeGroup(group, recordSpec, path, container) {
    const node = element("fieldset", "field-group");
    node.dataset.group = group.join("|");
    const name = freshId();
    const options = element("div", "choice-options");
    node.append(element("legend", "", t("Give one of:")), options, errorSlot());
    container.appendChild(node);
    const panels = {};
    function select(which) {
      Object.keys(panels).forEach(function (member) {
        panels[member].panel.hidden = member !== which;
        panels[member].radio.checked = member === which;
      });
    }
    return {
      add: function (member, control) {
        const spec = recordSpec.fields.find(function (field) {
          return field.name === member;
        });
        const radio = element("input");
        radio.type = "radio";
        radio.name = name;
        radio.value = member;
        radio.dataset.groupMember = member;
        radio.addEventListener("change", function () {
          select(member);
        });
        const label = element("label", "choice-option");
        label.append(radio, " " + labelOf(spec));
        options.appendChild(label);
        const panel = element("div", "choice-panel");
        panel.hidden = true;
        panel.appendChild(control.element);
        node.insertBefore(panel, node.lastChild);
        panels[member] = { panel: panel, radio: radio };
      },
      selected: function () {
        const on = Object.keys(panels).find(function (member) {
          return panels[member].radio.checked;
        });
        return on || null;
      },
      select: select,
    };
  }

  function record(spec, path, parentLabel) {
    const node = wrapper("fieldset", spec, path, parentLabel);
    node.appendChild(element("legend", "", labelOf(spec) + (spec.required ? "" : " (" + t("optional") + ")")));
    node.appendChild(errorSlot());
    const inner = fieldsOf(spec, path, node, node.dataset.label);
    return {
      spec: spec,
      element: node,
      read: function () {
        const value = inner.read();
        if (Object.keys(value).length === 0 && !spec.required) return undefined;
        return value; // an empty required record: the terminal names each missing field
      },
      fill: inner.fill,
    };
  }

  function list(spec, path, parentLabel) {
    const node = wrapper("fieldset", spec, path, parentLabel);
    node.appendChild(element("legend", "", labelOf(spec) + (spec.required ? "" : " (" + t("optional") + ")")));
    node.appendChild(errorSlot());
    const items = element("ol", "list-items");
    const add = element("button", "list-add", t("Add %(what)s", { what: labelOf(spec.item) }));
    add.type = "button";
    add.dataset.testid = "list-add";
    node.append(items, add);
    let controls = [];
    const blank = TEXTUAL[spec.item.type] ? "" : null;

    function rebuild(values) {
      controls = [];
      items.replaceChildren();
      values.forEach(function (value, index) {
        const itemPath = path + "[" + index + "]";
        const itemSpec = Object.assign({}, spec.item, {
          labels: {},
          required: true,
        });
        itemSpec.labels[language] = labelOf(spec.item) + " " + (index + 1);
        const control = build(itemSpec, itemPath, node.dataset.label);
        const entry = element("li", "list-item");
        const remove = element("button", "list-remove", t("Remove"));
        remove.type = "button";
        remove.dataset.testid = "list-remove";
        remove.addEventListener("click", function () {
          const current = controls.map(function (c) {
            return c.read();
          });
          current.splice(index, 1);
          rebuild(current);
        });
        entry.append(control.element, remove);
        items.appendChild(entry);
        control.fill(value);
        controls.push(control);
      });
      add.disabled = controls.length >= (spec.max_items || 1000);
    }

    add.addEventListener("click", function () {
      const current = controls.map(function (c) {
        return c.read();
      });
      current.push(undefined);
      rebuild(current);
    });
    rebuild(new Array(spec.min_items || 0).fill(undefined));

    return {
      spec: spec,
      element: node,
      read: function () {
        const values = controls.map(function (c) {
          return c.read();
        });
        const given = values.filter(function (value) {
          return value !== undefined && !(typeof value === "object" && value !== null && Object.keys(value).length === 0);
        });
        if (given.length === 0 && !spec.required) return undefined;
        // An empty item stays in its place, so that its problem lands on its own inputs.
        return values.map(function (value) {
          return value === undefined ? blank : value;
        });
      },
      fill: function (value) {
        const values = Array.isArray(value) ? value.slice() : [];
        while (values.length < (spec.min_items || 0)) values.push(undefined);
        rebuild(values);
      },
    };
  }

  function choice(spec, path, parentLabel) {
    const node = wrapper("fieldset", spec, path, parentLabel);
    node.appendChild(element("legend", "", labelOf(spec) + (spec.required ? "" : " (" + t("optional") + ")")));
    const options = element("div", "choice-options");
    node.append(options, errorSlot());
    const name = freshId();
    const variants = {};
    spec.variants.forEach(function (variant) {
      const radio = element("input");
      radio.type = "radio";
      radio.name = name;
      radio.value = variant.name;
      radio.dataset.variant = variant.name;
      const label = element("label", "choice-option");
      label.append(radio, " " + labelOf(variant));
      options.appendChild(label);
      const control = build(variant, childPath(path, variant.name), node.dataset.label);
      const panel = element("div", "choice-panel");
      panel.dataset.variant = variant.name;
      panel.hidden = true;
      panel.appendChild(control.element);
      node.appendChild(panel);
      variants[variant.name] = { radio: radio, panel: panel, control: control };
      radio.addEventListener("change", function () {
        select(variant.name);
      });
    });
    function select(which) {
      Object.keys(variants).forEach(function (key) {
        variants[key].panel.hidden = key !== which;
        variants[key].radio.checked = key === which;
      });
    }
    return {
      spec: spec,
      element: node,
      read: function () {
        const on = Object.keys(variants).find(function (key) {
          return variants[key].radio.checked;
        });
        if (!on) return undefined;
        const value = variants[on].control.read();
        const result = {};
        result[on] = value === undefined ? (TEXTUAL[variants[on].control.spec.type] ? "" : null) : value;
        return result;
      },
      fill: function (value) {
        const key = value && typeof value === "object" ? Object.keys(value)[0] : undefined;
        Object.keys(variants).forEach(function (name) {
          variants[name].control.fill(name === key ? value[name] : undefined);
        });
        select(key && variants[key] ? key : null);
      },
    };
  }

  function build(spec, path, parentLabel) {
    if (spec.type === "record") return record(spec, path, parentLabel);
    if (spec.type === "list") return list(spec, path, parentLabel);
    if (spec.type === "choice") return choice(spec, path, parentLabel);
    return leaf(spec, path, parentLabel);
  }

  /* -- problems, beside their fields ----------------------------------------- */

  function clearProblems(root, summary) {
    root.querySelectorAll(".field-error").forEach(function (slot) {
      slot.textContent = "";
      slot.hidden = true;
    });
    root.querySelectorAll(".has-error").forEach(function (node) {
      node.classList.remove("has-error");
    });
    root.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
    });
    if (summary) {
      summary.hidden = true;
      summary.querySelector("ul").replaceChildren();
    }
  }

  /* The element a problem belongs to: its field, else the nearest enclosing one shown. */
  function locate(root, path) {
    let current = path;
    while (current) {
      const found = root.querySelector('[data-field="' + CSS.escape(current) + '"]');
      if (found) {
        if (!found.closest("[hidden]")) return found;
        const group = found.closest(".field-group");
        if (group) return group; // a field of an "exactly one of" group that is not chosen
      }
      current = parentPath(current);
    }
    return null;
  }

  function showProblems(root, summary, problems) {
    clearProblems(root, summary);
    let first = null;
    const listed = summary ? summary.querySelector("ul") : null;
    problems.forEach(function (problem) {
      const target = locate(root, problem.field);
      if (target) {
        const slot = target.querySelector(":scope > .field-error");
        slot.textContent = slot.textContent ? slot.textContent + "; " + problem.message : problem.message;
        slot.hidden = false;
        target.classList.add("has-error");
        const input = target.querySelector(":scope > .field-control > .field-input");
        if (input) input.setAttribute("aria-invalid", "true");
        if (!first) first = target;
      }
      if (listed) {
        const item = element("li");
        item.dataset.field = problem.field;
        const where = target && target.dataset.label ? target.dataset.label : problem.field || "—";
        item.append(element("strong", "", where), ": " + problem.message);
        if (problem.field) item.append(" ", element("code", "", problem.field));
        listed.appendChild(item);
      }
    });
    if (summary) summary.hidden = problems.length === 0;
    if (first) {
      const input = first.querySelector("input:not([type=radio]), select, textarea, input");
      if (input) input.focus();
    }
  }

  function problemsOf(error) {
    return error && error.data && Array.isArray(error.data.problems) ? error.data.problems : null;
  }

  /* -- the notify page -------------------------------------------------------- */

  function setupNotify() {
    const form = document.getElementById("notify-form");
    const select = document.getElementById("notify-format");
    const fields = document.getElementById("notify-fields");
    const summary = document.getElementById("notify-errors");
    const result = document.getElementById("notify-result");
    const preview = document.getElementById("notify-preview");
    const overrideRow = document.getElementById("notify-override-row");
    const override = document.getElementById("notify-override");
    let current = null;

    function show(code) {
      const spec = formats[code];
      if (!spec) return;
      fields.replaceChildren();
      fields.dataset.format = code;
      current = fieldsOf(spec, "", fields, "");
      clearProblems(fields, summary);
      if (preview) preview.hidden = true;
      if (overrideRow) {
        // Only a launch notice has a lead-time rule to override.
        overrideRow.hidden = code !== "launch";
        override.checked = false;
      }
      const url = new URL(window.location.href);
      url.searchParams.set("format", code);
      window.history.replaceState(null, "", url);
    }

    function payload() {
      return {
        format: select.value,
        data: current.read(),
        override: Boolean(override && !overrideRow.hidden && override.checked),
      };
    }

    function refused(error) {
      const problems = problemsOf(error);
      if (problems) {
        showProblems(fields, summary, problems);
        result.textContent = t("Not sent: %(count)s problem(s) to correct.", { count: problems.length });
      } else {
        result.textContent = t("Failed: %(reason)s", { reason: error.message });
      }
      result.className = "compose-result error";
    }

    select.addEventListener("change", function () {
      show(select.value);
    });
    show(select.value);
    if (!result) return; // a role that may not send sees the form, without its buttons

    document.getElementById("notify-check").addEventListener("click", function () {
      const body = payload();
      body.to = document.getElementById("notify-to").value;
      result.textContent = "";
      api("POST", "/api/notifications/validate", body)
        .then(function (answer) {
          showProblems(fields, summary, answer.problems);
          preview.hidden = !answer.valid;
          preview.querySelector("pre").textContent = answer.preview || "";
          result.className = answer.valid ? "compose-result ok" : "compose-result error";
          result.textContent = answer.valid
            ? t("No problems found.")
            : t("Not sent: %(count)s problem(s) to correct.", { count: answer.problems.length });
        })
        .catch(refused);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const send = document.getElementById("notify-send");
      const body = payload();
      body.to = document.getElementById("notify-to").value;
      body.precedence = document.getElementById("notify-precedence").value;
      body.channel = document.getElementById("notify-channel").value;
      body.exercise = document.getElementById("notify-exercise").checked;
      result.textContent = t("Sending…");
      result.className = "compose-result";
      delete result.dataset.id;
      send.disabled = true;
      api("POST", "/api/notifications", body)
        .then(function (message) {
          clearProblems(fields, summary);
          preview.hidden = true;
          result.dataset.id = message.id;
          result.dataset.state = message.state;
          result.replaceChildren();
          const link = element("a", "", t("Message %(id)s: %(state)s", { id: message.id, state: shared.stateLabel(message) }));
          link.href = "/messages/" + encodeURIComponent(message.id);
          link.id = "notify-sent-link";
          result.appendChild(link);
          result.className = "compose-result ok";
          show(select.value); // an empty form: the same notice is not sent twice by accident
        })
        .catch(refused)
        .finally(function () {
          send.disabled = false;
        });
    });
  }

  /* -- a meeting proposal's reply --------------------------------------------- */

  function setupReply() {
    const form = document.getElementById("meeting-reply-form");
    const detail = shared.readJson("message-data");
    const spec = formats["meeting-reply"];
    if (!form || !detail || !detail.meeting || !spec) return;
    const fields = document.getElementById("meeting-reply-fields");
    const summary = document.getElementById("meeting-reply-errors");
    const result = document.getElementById("meeting-reply-result");
    let meeting = detail.meeting;
    let current = null;

    function show() {
      // The proposal is this page's; a reply may only name the states the table allows next.
      const allowed = meeting.next_states.map(function (next) {
        return next.value;
      });
      const replySpec = Object.assign({}, spec, {
        fields: spec.fields
          .filter(function (field) {
            return field.name !== "proposal";
          })
          .map(function (field) {
            if (field.name !== "state") return field;
            return Object.assign({}, field, {
              values: field.values.filter(function (value) {
                return allowed.indexOf(value) >= 0;
              }),
            });
          }),
      });
      fields.replaceChildren();
      current = fieldsOf(replySpec, "", fields, "");
      form.hidden = meeting.final;
      form.dataset.state = meeting.state;
    }

    document.addEventListener("hotline:detail", function (event) {
      const fresh = event.detail && event.detail.meeting;
      if (fresh && fresh.state !== meeting.state) {
        meeting = fresh;
        show();
      }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const send = document.getElementById("meeting-reply-send");
      const data = current.read();
      data.proposal = meeting.proposal;
      const body = {
        to: meeting.peer,
        format: "meeting-reply",
        data: data,
        precedence: document.getElementById("meeting-reply-precedence").value,
        channel: detail.channel,
        exercise: Boolean(detail.exercise),
      };
      result.textContent = t("Sending…");
      result.className = "compose-result";
      send.disabled = true;
      api("POST", "/api/notifications", body)
        .then(function (message) {
          clearProblems(fields, summary);
          result.dataset.id = message.id;
          result.textContent = t("Message %(id)s: %(state)s", { id: message.id, state: shared.stateLabel(message) });
          result.className = "compose-result ok";
          if (message.meeting) {
            meeting = message.meeting;
            show();
          }
          shared.refresh();
        })
        .catch(function (error) {
          const problems = problemsOf(error);
          if (problems) showProblems(fields, summary, problems);
          result.textContent = problems
            ? t("Not sent: %(count)s problem(s) to correct.", { count: problems.length })
            : t("Failed: %(reason)s", { reason: error.message });
          result.className = "compose-result error";
        })
        .finally(function () {
          send.disabled = false;
        });
    });
    show();
  }

  if (document.getElementById("notify-form")) setupNotify();
  if (document.getElementById("meeting-reply-form")) setupReply();
})();
