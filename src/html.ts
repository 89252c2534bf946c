/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const part = Array.isArray(v)
      ? v.map((x) => (x instanceof Html ? x.value : escapeHtml(String(x)))).join('')
      : v instanceof Html
        ? v.value
        : escapeHtml(String(v ?? ''));
    out += part + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** A whole page in the server's plain style; no scripts, so the default CSP holds. */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · four-oh-one</title>
        <style>
          body {
            font:
              16px/1.5 system-ui,
              sans-serif;
            max-width: 52rem;
            margin: 2rem auto;
            padding: 0 1rem;
            color: #1d2433;
          }
          code,
          pre {
            font:
              14px/1.4 ui-monospace,
              monospace;
            background: #f3f4f7;
            border-radius: 4px;
          }
          pre {
            padding: 0.75rem;
            overflow-x: auto;
          }
          code {
            padding: 0 0.2rem;
          }
          .status {
            display: inline-block;
            padding: 0 0.5rem;
            border-radius: 4px;
            background: #fde8e8;
            color: #9b1c1c;
            font-weight: 600;
          }
          a {
            color: #1a56db;
          }
          h1 {
            margin-bottom: 0.25rem;
          }
          .muted {
            color: #5b6475;
          }
        </style>
      </head>
      <body>
        ${body}
      </body>
    </html>`.value;
}
