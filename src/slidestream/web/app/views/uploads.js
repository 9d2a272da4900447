// Documents for a deck: dropped on the drop zone or chosen with a button, uploaded at once
// (`POST /files/upload`), listed with their state and a button to remove each.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { plainMessage } from "../errors.js";

const ACCEPT = ".pdf,.docx,.pptx,.txt,.md,.markdown,.html,.htm";

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function uploadsField() {
  const items = [];
  const list = h("ul", { className: "upload-list", "aria-label": "Documents" });
  const input = h("input", { type: "file", multiple: true, accept: ACCEPT, hidden: true, "aria-label": "Documents" });
  const choose = h("button", { type: "button", className: "btn" }, icon("upload"), "Choose files");
  choose.setAttribute("aria-describedby", "upload-hint");
  const zone = h(
    "div",
    { className: "dropzone" },
    h("span", { className: "dropzone-icon", "aria-hidden": "true" }, icon("file")),
    h(
      "span",
      { className: "dropzone-text" },
      h("strong", { text: "Drop documents here" }),
      h("span", { id: "upload-hint", className: "hint", text: "PDF, Word, PowerPoint, Markdown, HTML or text: the deck draws on them." }),
    ),
    choose,
    input,
  );

  function draw() {
    list.replaceChildren(
      ...items.map((item) => {
        const remove = h("button", {
          type: "button",
          className: "icon-btn",
          "aria-label": `Remove ${item.file.name}`,
          on: {
            click: () => {
              items.splice(items.indexOf(item), 1);
              draw();
              choose.focus();
            },
          },
        }, icon("close"));
        const state = {
          uploading: h("span", { className: "upload-state" }, h("span", { className: "spinner", "aria-hidden": "true" }), "Uploading…"),
          ready: h("span", { className: "upload-state upload-ready", text: "Ready" }),
          failed: h("span", { className: "upload-state upload-failed", role: "alert", text: item.error || "Upload failed" }),
        }[item.state];
        return h(
          "li",
          { className: "upload-item", dataset: { state: item.state } },
          icon("file"),
          h("span", { className: "upload-name", text: item.file.name }),
          h("span", { className: "upload-size", text: size(item.file.size) }),
          state,
          remove,
        );
      }),
    );
    list.hidden = items.length === 0;
  }

  function add(files) {
    const batch = [...files].map((file) => ({ file, state: "uploading", path: null, error: null }));
    if (!batch.length) return;
    items.push(...batch);
    draw();
    const done = api
      .upload(batch.map((item) => item.file))
      .then((paths) => {
        batch.forEach((item, i) => {
          item.path = paths[i];
          item.state = item.path ? "ready" : "failed";
        });
      })
      .catch((error) => {
        for (const item of batch) {
          item.state = "failed";
          item.error = plainMessage(error);
        }
      })
      .finally(draw);
    for (const item of batch) item.done = done;
  }

  choose.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    add(input.files);
    input.value = "";
  });
  zone.addEventListener("dragover", (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault();
    zone.classList.add("dropzone-over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dropzone-over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dropzone-over");
    add(event.dataTransfer?.files || []);
  });
  draw();

  const element = h(
    "div",
    { className: "field" },
    h("span", { className: "field-label", id: "documents-label", text: "Documents (optional)" }),
    zone,
    list,
  );
  zone.setAttribute("role", "group");
  zone.setAttribute("aria-labelledby", "documents-label");
  return {
    element,
    /** Waits for uploads in progress; the issued paths of the documents that are ready. */
    async paths() {
      await Promise.all(items.map((item) => item.done));
      return items.filter((item) => item.state === "ready").map((item) => item.path);
    },
    failed: () => items.filter((item) => item.state === "failed"),
    count: () => items.length,
  };
}
