/** References to the standards the registry cites, with their links. */

export interface RfcRef {
  /** e.g. "RFC 6750 §3.1" */
  label: string;
  url: string;
}

/** A reference to an RFC section, with its rfc-editor.org link. */
export function rfc(num: number, section?: string): RfcRef {
  const base = `https://www.rfc-editor.org/rfc/rfc${num}`;
  return section === undefined
    ? { label: `RFC ${num}`, url: base }
    : { label: `RFC ${num} §${section}`, url: `${base}#section-${section}` };
}

/** A section of the Fetch Standard (WHATWG), which defines the CORS protocol browsers run. */
export function fetchStandard(section: string, anchor: string): RfcRef {
  return { label: `Fetch Standard §${section}`, url: `https://fetch.spec.whatwg.org/#${anchor}` };
}

/**
 * A section of RFC 6265bis (draft-ietf-httpbis-rfc6265bis), the revision of RFC 6265 that
 * defines SameSite and what browsers do today.
 */
export function rfc6265bis(section: string): RfcRef {
  return {
    label: `RFC 6265bis §${section}`,
    url: `https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-${section}`,
  };
}

/** A section of the OWASP Authentication Cheat Sheet (error messages, lockout, MFA). */
export function owaspAuthentication(section: string, anchor: string): RfcRef {
  return {
    label: `OWASP Authentication Cheat Sheet: ${section}`,
    url: `https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#${anchor}`,
  };
}

/**
 * A section of [MS-NLMP], Microsoft's NTLM specification (an Open Specification, not an RFC);
 * the link is the specification's landing page, which links every section and the PDF.
 */
export function msNlmp(section: string): RfcRef {
  return {
    label: `[MS-NLMP] §${section}`,
    url: 'https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/b38c36ed-2804-4868-a9ff-8dd3182128e4',
  };
}
