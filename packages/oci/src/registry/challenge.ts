/**
 * One `WWW-Authenticate` challenge (RFC 7235): the scheme and its
 * parameters, e.g. `Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"`.
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header. Registries send one challenge; when a
 * header holds several, every one is returned in order. Quoted values may
 * contain commas (scopes like `repository:a:pull,push` do).
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const token = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)/y;
  const param = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;
  let position = 0;
  while (position < header.length) {
    token.lastIndex = position;
    const scheme = token.exec(header);
    if (!scheme) break;
    position = token.lastIndex;
    const params: Record<string, string> = {};
    for (;;) {
      param.lastIndex = position;
      const match = param.exec(header);
      if (!match) break;
      // A bare token followed by `=` is a parameter; one followed by a space is the next scheme.
      params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3]!;
      position = param.lastIndex;
    }
    challenges.push({ scheme: scheme[1]!.toLowerCase(), params });
    while (header[position] === "," || header[position] === " ") position++;
  }
  return challenges;
}
