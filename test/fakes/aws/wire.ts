// The EC2 Query protocol on the wire, for the fake: form-encoded requests in, XML out. EC2 answers
// use lowerCamel element names and wrap list members in <item>; the SDK drops elements it does not
// know silently, so a wrong name shows up as an undefined field, not an error.

/** A value the XML writer understands: arrays become <item> lists, objects nested elements. */
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | null
  | undefined
  | XmlValue[]
  | { [k: string]: XmlValue };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function xml(name: string, v: XmlValue): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return `<${name}>${v.map((x) => xml('item', x)).join('')}</${name}>`;
  if (v instanceof Date) return `<${name}>${v.toISOString()}</${name}>`;
  if (typeof v === 'object') {
    return `<${name}>${Object.entries(v)
      .map(([k, x]) => xml(k, x))
      .join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(v))}</${name}>`;
}

let requestSeq = 0;
export function requestId(): string {
  requestSeq++;
  return `00000000-0000-4000-8000-${requestSeq.toString(16).padStart(12, '0')}`;
}

/** `<ActionResponse xmlns=...><requestId/>...</ActionResponse>`, as EC2 writes it. */
export function ec2Response(action: string, body: Record<string, XmlValue>): string {
  const inner = Object.entries(body)
    .map(([k, v]) => xml(k, v))
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
    `<requestId>${requestId()}</requestId>${inner}</${action}Response>`
  );
}

export function ec2ErrorBody(code: string, message: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId()}</RequestID></Response>`
  );
}

/** A thrown EC2 error: the handler throws it, the server writes it with its status. */
export class Ec2Fault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Form parameters of one Query request. */
export class QueryParams {
  private readonly p: URLSearchParams;
  constructor(body: string) {
    this.p = new URLSearchParams(body);
  }
  get(name: string): string | undefined {
    return this.p.get(name) ?? undefined;
  }
  int(name: string): number | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : Number(v);
  }
  /** `Name.1`, `Name.2`, ... in order. */
  list(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; this.p.has(`${name}.${i}`); i++) out.push(this.p.get(`${name}.${i}`)!);
    return out;
  }
  /** `Filter.N.Name` / `Filter.N.Value.M`. */
  filters(): { name: string; values: string[] }[] {
    const out: { name: string; values: string[] }[] = [];
    for (let i = 1; this.p.has(`Filter.${i}.Name`); i++) {
      out.push({ name: this.p.get(`Filter.${i}.Name`)!, values: this.list(`Filter.${i}.Value`) });
    }
    return out;
  }
  /** `TagSpecification.N.ResourceType` / `.Tag.M.Key|Value`. */
  tagSpecifications(): { resourceType: string; tags: Record<string, string> }[] {
    const out: { resourceType: string; tags: Record<string, string> }[] = [];
    for (let i = 1; this.p.has(`TagSpecification.${i}.ResourceType`); i++) {
      const tags: Record<string, string> = {};
      for (let j = 1; this.p.has(`TagSpecification.${i}.Tag.${j}.Key`); j++) {
        tags[this.p.get(`TagSpecification.${i}.Tag.${j}.Key`)!] =
          this.p.get(`TagSpecification.${i}.Tag.${j}.Value`) ?? '';
      }
      out.push({ resourceType: this.p.get(`TagSpecification.${i}.ResourceType`)!, tags });
    }
    return out;
  }
  entries(): Record<string, string> {
    return Object.fromEntries(this.p.entries());
  }
}

/** EC2 wildcard filter values: `*` any run, `?` one character. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

/** One page of `items` from an opaque NextToken (the offset, base64), and the token of the next page. */
export function page<T>(
  items: readonly T[],
  token: string | undefined,
  size: number,
): { items: T[]; next: string | undefined } {
  let start = 0;
  if (token) {
    start = Number(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!Number.isInteger(start) || start < 0 || start > items.length) {
      throw new Ec2Fault('InvalidParameterValue', `invalid NextToken ${token}`);
    }
  }
  const end = Math.min(items.length, start + Math.max(1, size));
  const next = end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined;
  return { items: items.slice(start, end), next };
}
