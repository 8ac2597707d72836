// The book's own script: hover previews of references, keyboard access to wide equations, and
// readable formulas in the excerpts of search results.
// No library, no request to another host; a page of another chapter is fetched (from this
// site) only when a reader hovers or focuses a link to it.
(() => {
  "use strict";

  // ---- Wide display equations ---------------------------------------------------------------
  // They scroll inside their own box (bnref.css). As the theme does for code blocks and
  // outputs, such a box gets a tab stop while it overflows, so keyboard users can scroll it.
  const updateEquationTabStops = () => {
    for (const box of document.querySelectorAll("div.math")) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
      } else {
        box.removeAttribute("tabindex");
      }
    }
  };

  // ---- Search result excerpts -------------------------------------------------------------
  // Sphinx's search shows an excerpt of each page found, cut from the page's text. The text of a
  // pre-rendered formula is its MathML, its TeX source and its HTML glyphs run together
  // ("∂x̂/∂b=0\partial\xhat/\partial b = 0∂x̂/∂b=0"): keep only the MathML's characters.
  // (Search is the global object of Sphinx's searchtools.js, which the theme loads everywhere.)
  if (typeof Search !== "undefined" && typeof Search.htmlToText === "function") {
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (html, anchor) => {
      const doc = new DOMParser().parseFromString(html, "text/html");
      for (const el of doc.querySelectorAll(".katex-html, .katex-mathml annotation")) el.remove();
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
  }

  // ---- Hover previews -----------------------------------------------------------------------
  // Hovering or focusing a link to an equation, a figure, a table, a section, a page or an API
  // entry shows that target in a tooltip, cut from the target page itself. The tooltip stays
  // while the pointer is over it and closes with Escape (WCAG 1.4.13).
  const SHOW_DELAY = 250;
  const HIDE_DELAY = 200;
  const pages = new Map(); // page URL -> Promise<Document | null>
  let tip = null;
  let current = null;
  let showTimer = 0;
  let hideTimer = 0;

  const pageDocument = (url) => {
    if (url === stripHash(location.href)) return Promise.resolve(document);
    if (!pages.has(url)) {
      pages.set(
        url,
        fetch(url)
          .then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText))))
          .then((html) => new DOMParser().parseFromString(html, "text/html"))
          .catch(() => null),
      );
    }
    return pages.get(url);
  };

  function stripHash(href) {
    const url = new URL(href, location.href);
    url.hash = "";
    return url.href;
  }

  const firstHeading = (section) =>
    section.querySelector(":scope > h1, :scope > h2, :scope > h3, :scope > h4, :scope > h5, :scope > h6");

  // The part of the target worth showing, as a list of nodes to clone.
  const excerpt = (doc, id) => {
    let target = id ? doc.getElementById(id) : doc.querySelector("article.bd-article section");
    if (!target) return null;
    // Sphinx puts extra ids on empty <span>s in front of the element they label.
    if (target.tagName === "SPAN" && !target.textContent.trim() && target.nextElementSibling) {
      target = target.nextElementSibling;
    }
    if (target.matches("div.math, figure, table, div.pst-scrollable-table-container")) {
      return [target];
    }
    if (target.matches("section")) {
      const heading = firstHeading(target);
      const nodes = heading ? [heading] : [];
      const para = target.querySelector(":scope > p");
      if (para) nodes.push(para);
      return nodes.length ? nodes : null;
    }
    if (target.matches("dt")) {
      const nodes = [target];
      const dd = target.nextElementSibling;
      const para = dd && dd.matches("dd") ? dd.querySelector(":scope > p") : null;
      if (para) nodes.push(para);
      return nodes;
    }
    return null; // citations and other targets keep their native title, if any
  };

  // A copy that is safe to show here: no duplicate ids, no permalinks, URLs made absolute.
  const tidy = (node, base) => {
    const copy = document.importNode(node, true);
    for (const el of [copy, ...copy.querySelectorAll("*")]) {
      el.removeAttribute("id");
      el.removeAttribute("tabindex");
      if (el.matches("a[href]")) el.setAttribute("href", new URL(el.getAttribute("href"), base).href);
      if (el.matches("img[src]")) el.setAttribute("src", new URL(el.getAttribute("src"), base).href);
    }
    for (const el of copy.querySelectorAll("a.headerlink")) el.remove();
    return copy;
  };

  const previewable = (link) => {
    if (!link.closest("article.bd-article") || link.matches(".headerlink")) return null;
    const raw = link.getAttribute("href");
    if (!raw || raw === "#" || link.target === "_blank") return null;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !url.pathname.endsWith(".html")) return null;
    if (/\/(_sources|_images|_static)\//.test(url.pathname)) return null;
    return { page: stripHash(url.href), id: decodeURIComponent(url.hash.slice(1)) };
  };

  const ensureTip = () => {
    if (tip) return tip;
    tip = document.createElement("div");
    tip.id = "bnref-preview";
    tip.className = "bnref-preview";
    tip.setAttribute("role", "tooltip");
    tip.hidden = true;
    tip.addEventListener("mouseenter", () => clearTimeout(hideTimer));
    tip.addEventListener("mouseleave", () => scheduleHide());
    document.body.appendChild(tip);
    return tip;
  };

  const place = (link) => {
    const margin = 8;
    const rect = link.getBoundingClientRect();
    tip.style.left = "0px";
    tip.style.top = "0px";
    const width = tip.offsetWidth;
    const height = tip.offsetHeight;
    const left = Math.max(margin, Math.min(rect.left, window.innerWidth - width - margin));
    const below = rect.bottom + margin + height <= window.innerHeight || rect.top < height + margin;
    const top = below ? rect.bottom + margin : rect.top - height - margin;
    tip.style.left = `${left + window.scrollX}px`;
    tip.style.top = `${top + window.scrollY}px`;
    tip.dataset.placement = below ? "bottom" : "top";
  };

  // A page without math does not load KaTeX's stylesheet (conf.py, PAGE_ASSETS): load it the
  // first time a preview shows a formula there.
  const ensureKatexStyles = () => {
    if (document.querySelector('link[href*="katex.min.css"]')) return;
    const root = document.documentElement.dataset.content_root || "./";
    for (const name of ["katex/katex.min.css", "katex-math.css"]) {
      const sheet = document.createElement("link");
      sheet.rel = "stylesheet";
      sheet.href = new URL(`${root}_static/${name}`, location.href).href;
      document.head.appendChild(sheet);
    }
  };

  const show = async (link) => {
    const where = previewable(link);
    if (!where) return;
    const doc = await pageDocument(where.page);
    if (current !== link || !doc) return;
    const nodes = excerpt(doc, where.id);
    if (!nodes) return;
    ensureTip().replaceChildren(...nodes.map((n) => tidy(n, where.page)));
    if (tip.querySelector(".katex")) ensureKatexStyles();
    tip.hidden = false;
    tip.classList.toggle("is-clipped", tip.scrollHeight > tip.clientHeight + 1);
    place(link);
    link.setAttribute("aria-describedby", tip.id);
  };

  const hide = () => {
    clearTimeout(showTimer);
    if (current) current.removeAttribute("aria-describedby");
    current = null;
    if (tip) tip.hidden = true;
  };

  const scheduleHide = () => {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, HIDE_DELAY);
  };

  const enter = (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || !previewable(link)) return;
    clearTimeout(hideTimer);
    if (current === link) return;
    hide();
    current = link;
    showTimer = setTimeout(() => show(link), event.type === "focusin" ? 0 : SHOW_DELAY);
  };

  const leave = (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (link && link === current && !link.contains(event.relatedTarget)) scheduleHide();
  };

  const start = () => {
    updateEquationTabStops();
    document.addEventListener("mouseover", enter);
    document.addEventListener("mouseout", leave);
    document.addEventListener("focusin", enter);
    document.addEventListener("focusout", leave);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && tip && !tip.hidden) hide();
    });
    window.addEventListener("scroll", () => current && tip && !tip.hidden && place(current), {
      passive: true,
    });
  };

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(updateEquationTabStops, 200);
  });
  // KaTeX's fonts change the equations' widths once they have loaded.
  if (document.fonts) document.fonts.ready.then(updateEquationTabStops);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
