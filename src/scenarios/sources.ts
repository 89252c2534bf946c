/**
 * The two articles this server was built from, named once: the registry's texts cite them with
 * `cite()`, a link to their place on the Sources page (`GET /sources`, routes/sources.ts), which
 * quotes them. Data only, like the rest of the registry.
 */

export interface ArticleSection {
  /** The fragment of its place on the Sources page. */
  anchor: string;
  /** The section's heading as the article writes it, and in English. */
  heading: string;
  english: string;
}

export interface Article {
  /** The fragment of the article on the Sources page. */
  anchor: string;
  /** The title as published, and in English. */
  title: string;
  english: string;
  /** The name the registry's texts use for it. */
  short: string;
  sections: Record<number, ArticleSection>;
}

export const ARTICLES = {
  /** seeds/000: an OpenAI-style client's 401, and the refresh-and-retry fix. */
  invalidToken: {
    anchor: 'invalid-token',
    title: "401 None. {'error': {'code': '', 'message': 'Invalid Token (request id: 20251231...",
    english:
      'The error itself, as the post’s title: an OpenAI-style client’s 401 with “Invalid Token (request id: …)”, and an error analysis report (报错分析报告) with its fixes',
    short: '“Invalid Token (request id: …)”',
    sections: {
      3: {
        anchor: 'invalid-token-fix',
        heading: '解决方案',
        english: 'Solutions: get a new token, check the old one’s expiry',
      },
      4: {
        anchor: 'invalid-token-retry',
        heading: '预防措施',
        english: 'Prevention: refresh the token and retry',
      },
    },
  },
  /** seeds/001: the 401 walk-through with Python requests and Flask. */
  explained: {
    anchor: 'http-401-explained',
    title: '401 HTTP错误码详解',
    english: 'The 401 HTTP error code explained',
    short: '“The 401 HTTP error code explained”',
    sections: {
      1: {
        anchor: 'explained-bearer',
        heading: '一、请求头与身份认证',
        english: '1. Request headers and authentication',
      },
      2: {
        anchor: 'explained-session',
        heading: '二、会话超时',
        english: '2. Session timeout',
      },
      3: {
        anchor: 'explained-cors',
        heading: '三、跨域访问',
        english: '3. Cross-origin access',
      },
      4: {
        anchor: 'explained-admin',
        heading: '四、访问授权',
        english: '4. Access authorization',
      },
    },
  },
} satisfies Record<string, Article>;

export type ArticleName = keyof typeof ARTICLES;

/** The Sources page's path. */
export const SOURCES_PATH = '/sources';

/**
 * A citation in the registry's text: the article's name (and section), linked to its place on
 * the Sources page, as `[text](/sources#anchor)`, which the pages render as a link (`prose()`)
 * and Swagger UI as Markdown.
 */
export function cite(name: ArticleName, section?: number): string {
  const article: Article = ARTICLES[name];
  const part = section === undefined ? undefined : article.sections[section];
  if (!part) return `[${article.short}](${SOURCES_PATH}#${article.anchor})`;
  return `[${article.short}, section ${section}](${SOURCES_PATH}#${part.anchor})`;
}
