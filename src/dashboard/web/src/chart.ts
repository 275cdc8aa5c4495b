const SVG = "http://www.w3.org/2000/svg";
const W = 300;
const H = 64;

/**
 * A small bar chart, one bar per value (oldest first), scaled to the largest. Drawn with
 * SVG attributes only: the page's CSP allows no inline styles.
 */
export function barChart(values: number[], title: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  const max = Math.max(1, ...values);
  const step = W / values.length;
  values.forEach((value, i) => {
    const height = value === 0 ? 1 : Math.max(2, (value / max) * (H - 4));
    const bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("x", String(i * step + 1));
    bar.setAttribute("y", String(H - height));
    bar.setAttribute("width", String(Math.max(1, step - 2)));
    bar.setAttribute("height", String(height));
    bar.setAttribute("class", value === 0 ? "bar empty" : "bar");
    const tip = document.createElementNS(SVG, "title");
    tip.textContent = `${value} (${values.length - 1 - i} min ago)`;
    bar.append(tip);
    svg.append(bar);
  });
  return svg;
}
