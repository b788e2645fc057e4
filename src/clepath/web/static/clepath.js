// clepath: a little progressive enhancement. Every page works without it.
"use strict";

// Ask before removing an observation (forms marked data-confirm).
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm) {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }
});

// After a rejected form, move the focus to the summary of problems.
document.addEventListener("DOMContentLoaded", function () {
  const summary = document.querySelector(".error-summary");
  if (summary instanceof HTMLElement) {
    summary.focus();
  }
});

// The CLASI sheet (issue 12): typing a level's number sets the cell and moves to the next one;
// the running CLASI-A and CLASI-D are shown as the user types. The server scores what is saved.
(function () {
  function cells(sheet) {
    return Array.prototype.slice.call(sheet.querySelectorAll("select.clasi-cell"));
  }

  function totals(sheet) {
    const multiplier = Number(sheet.dataset.multiplier || "1");
    const persistence = sheet.querySelector("select[data-persistence]");
    const doubled = persistence instanceof HTMLSelectElement && persistence.value === "yes";
    const sums = { activity: 0, damage: 0 };
    cells(sheet).forEach(function (cell) {
      const component = cell.dataset.component;
      const value = Number(cell.value);
      if (!component || !Number.isInteger(value)) {
        return;
      }
      sums[component] += cell.dataset.doubled && doubled ? value * multiplier : value;
    });
    sheet.querySelectorAll("output[data-total]").forEach(function (out) {
      out.textContent = String(sums[out.dataset.total]);
    });
  }

  function advance(sheet, cell) {
    const all = cells(sheet);
    const next = all[all.indexOf(cell) + 1];
    const target = next || sheet.querySelector("button[type=submit]");
    if (target instanceof HTMLElement) {
      target.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const sheet = document.getElementById("clasi-sheet");
    if (!(sheet instanceof HTMLFormElement)) {
      return;
    }
    sheet.addEventListener("change", function () { totals(sheet); });
    sheet.addEventListener("keydown", function (event) {
      const cell = event.target;
      if (!(cell instanceof HTMLSelectElement) || !cell.classList.contains("clasi-cell")) {
        return;
      }
      if (event.altKey || event.ctrlKey || event.metaKey || event.key.length !== 1) {
        return;
      }
      const key = event.key.toLowerCase();
      const wanted = cell.dataset.persistence ? { y: "yes", n: "no" }[key] : key;
      const found = Array.prototype.some.call(cell.options, function (o) {
        return o.value === wanted;
      });
      event.preventDefault();
      if (!found) {
        cell.classList.add("refused");
        return;
      }
      cell.classList.remove("refused");
      cell.value = wanted;
      totals(sheet);
      advance(sheet, cell);
    });
    totals(sheet);
    const first = cells(sheet)[0];
    if (first && !document.querySelector(".error-summary")) {
      first.focus();
    }
  });
})();

// Print everything: folded sections open for printing and close again afterwards.
(function () {
  let opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) {
      return !d.open;
    });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();

// A table wider than a phone scrolls inside itself: make it reachable from the keyboard.
(function () {
  function mark() {
    document.querySelectorAll("table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
})();

// Partial dates (issue 12): the "known to the day / month only / year only" select beside a date
// box changes the box into a date picker, a month picker or four digits for the year. Going to
// a coarser precision keeps what it can (2019-05-04 -> 2019-05 -> 2019); going finer empties
// the box rather than invent a month or a day. The server cuts the value to the precision too.
(function () {
  const kinds = { day: "date", month: "month", year: "text" };
  const lengths = { day: 10, month: 7, year: 4 };

  function switchKind(select) {
    const box = document.getElementById(select.dataset.partialDate || "");
    if (!(box instanceof HTMLInputElement)) {
      return;
    }
    const precision = select.value;
    const old = box.value;
    box.type = kinds[precision] || "text";
    box.value = old.length >= lengths[precision] ? old.slice(0, lengths[precision]) : "";
    if (box.type === "text") {
      box.setAttribute("inputmode", "numeric");
      box.setAttribute("size", "10");
    } else {
      box.removeAttribute("inputmode");
    }
    if (box.type === "month") {
      box.setAttribute("placeholder", "YYYY-MM");
    } else {
      box.removeAttribute("placeholder");
    }
  }

  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select instanceof HTMLSelectElement && select.dataset.partialDate) {
      switchKind(select);
    }
  });
})();

// The new-patient form (issue 12): "add another therapy" (or lab result) copies the empty row
// template with the next row number and moves the focus to the new row's first field. Without
// JavaScript the form offers three rows of each, and a form sent back keeps every row it had.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-add-row]").forEach(function (button) {
    const template = document.getElementById(button.dataset.template || "");
    const rows = document.getElementById(button.dataset.addRow || "");
    if (!(button instanceof HTMLButtonElement) || !(template instanceof HTMLTemplateElement) ||
        !(rows instanceof HTMLElement)) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      const row = Number(rows.dataset.nextRow || "0");
      rows.dataset.nextRow = String(row + 1);
      const html = template.innerHTML.split("__row__").join(String(row))
        .split("__number__").join(String(row + 1));
      rows.insertAdjacentHTML("beforeend", html);
      const first = document.getElementById(
        "f-" + button.dataset.prefix + "[" + row + "]." + (button.dataset.focus || ""));
      if (first instanceof HTMLElement) {
        first.focus();
      }
    });
  });
});

// The lab form (issue 12): the unit box offers the units the chosen test accepts.
document.addEventListener("change", function (event) {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.dataset.unitBox) {
    return;
  }
  const box = document.getElementById(select.dataset.unitBox);
  if (box instanceof HTMLInputElement) {
    const list = document.getElementById("units-" + select.value);
    box.setAttribute("list", list ? list.id : "units");
  }
});
