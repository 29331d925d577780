// The condition language of service forms ("show this field / ask this document when ..."),
// parsed by hand so catalog text never reaches eval or Function. It mirrors
// server/catalog/conditions.py exactly (grammar and semantics are documented there); both run
// tests/vectors/conditions.json. Positions count code points, as Python does.

export const MAX_LENGTH = 1000;
export const MAX_DEPTH = 32;
export const MAX_DIGITS = 15;

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
const FUNCTIONS = new Set(['umur']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

export class ConditionSyntaxError extends Error {
  constructor(reason, position) {
    super(`${reason} (position ${position})`);
    this.name = 'ConditionSyntaxError';
    this.reason = reason;
    this.position = position;
  }
}

const isLetter = (c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c) => c >= '0' && c <= '9';
const describe = (c) => (/^[\x21-\x7e]$/.test(c) ? `'${c}'` : `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`);

function tokenize(chars) {
  const tokens = [];
  const n = chars.length;
  let i = 0;
  while (i < n) {
    const c = chars[i];
    if (WHITESPACE.has(c)) {
      i += 1;
    } else if (isLetter(c)) {
      let j = i + 1;
      while (j < n && (isLetter(chars[j]) || isDigit(chars[j]) || chars[j] === '_')) j += 1;
      const word = chars.slice(i, j).join('');
      tokens.push({ kind: KEYWORDS.has(word) ? 'kw' : 'name', value: word, pos: i });
      i = j;
    } else if (isDigit(c) || (c === '-' && i + 1 < n && isDigit(chars[i + 1]))) {
      let j = i + 1;
      while (j < n && isDigit(chars[j])) j += 1;
      const whole = chars.slice(i, j).join('');
      if (whole.replace(/^-/, '').length > MAX_DIGITS) throw new ConditionSyntaxError('number has too many digits', i);
      if (j + 1 < n && chars[j] === '.' && isDigit(chars[j + 1])) {
        j += 1;
        while (j < n && isDigit(chars[j])) j += 1;
      }
      tokens.push({ kind: 'num', value: Number(chars.slice(i, j).join('')), pos: i });
      i = j;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= n) throw new ConditionSyntaxError('unterminated string', i);
        const d = chars[j];
        if (d === c) break;
        if (d === '\\') {
          if (j + 1 < n && (chars[j + 1] === '\\' || chars[j + 1] === "'" || chars[j + 1] === '"')) {
            text += chars[j + 1];
            j += 2;
            continue;
          }
          throw new ConditionSyntaxError('unknown escape in string', j);
        }
        text += d;
        j += 1;
      }
      tokens.push({ kind: 'str', value: text, pos: i });
      i = j + 1;
    } else if ('()[],'.includes(c)) {
      tokens.push({ kind: 'punct', value: c, pos: i });
      i += 1;
    } else if ('=!<>'.includes(c)) {
      const two = c + (chars[i + 1] ?? '');
      if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ kind: 'op', value: two, pos: i });
        i += 2;
      } else if (c === '<' || c === '>') {
        tokens.push({ kind: 'op', value: c, pos: i });
        i += 1;
      } else {
        throw new ConditionSyntaxError(`unexpected ${describe(c)}; use == or !=`, i);
      }
    } else {
      throw new ConditionSyntaxError(`unexpected character ${describe(c)}`, i);
    }
  }
  tokens.push({ kind: 'end', value: null, pos: n });
  return tokens;
}

class Parser {
  constructor(chars) {
    this.tokens = tokenize(chars);
    this.i = 0;
    this.depth = 0;
  }

  peek(ahead = 0) {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)];
  }

  next() {
    const tok = this.tokens[this.i];
    this.i += 1;
    return tok;
  }

  at(kind, value = null, ahead = 0) {
    const tok = this.peek(ahead);
    return tok.kind === kind && (value === null || tok.value === value);
  }

  expect(kind, value, what) {
    if (!this.at(kind, value)) throw this.unexpected(this.peek(), `expected ${what}`);
    return this.next();
  }

  unexpected(tok, hint = '') {
    const seen = tok.kind === 'end' ? 'end of expression' : JSON.stringify(tok.value);
    return new ConditionSyntaxError(`unexpected ${seen}${hint ? `, ${hint}` : ''}`, tok.pos);
  }

  enter(tok) {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw new ConditionSyntaxError('expression is nested too deeply', tok.pos);
  }

  parse() {
    if (this.at('end')) throw new ConditionSyntaxError('empty expression', 0);
    const node = this.parseOr();
    if (!this.at('end')) {
      const tok = this.peek();
      if (tok.kind === 'op' || this.at('kw', 'in') || (this.at('kw', 'not') && this.at('kw', 'in', 1))) {
        throw new ConditionSyntaxError("comparisons cannot be chained; use 'and'", tok.pos);
      }
      throw this.unexpected(tok, "expected 'and', 'or' or the end");
    }
    return node;
  }

  parseOr() {
    const operands = [this.parseAnd()];
    while (this.at('kw', 'or')) {
      this.next();
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0] : { type: 'bool', op: 'or', operands };
  }

  parseAnd() {
    const operands = [this.parseNot()];
    while (this.at('kw', 'and')) {
      this.next();
      operands.push(this.parseNot());
    }
    return operands.length === 1 ? operands[0] : { type: 'bool', op: 'and', operands };
  }

  parseNot() {
    if (this.at('kw', 'not')) {
      const tok = this.next();
      this.enter(tok);
      const node = { type: 'not', operand: this.parseNot() };
      this.depth -= 1;
      return node;
    }
    return this.parseComparison();
  }

  parseComparison() {
    const left = this.parseOperand();
    const tok = this.peek();
    let op;
    if (tok.kind === 'op') {
      this.next();
      op = tok.value;
    } else if (this.at('kw', 'in')) {
      this.next();
      op = 'in';
    } else if (this.at('kw', 'not') && this.at('kw', 'in', 1)) {
      this.next();
      this.next();
      op = 'not in';
    } else {
      return left;
    }
    return { type: 'compare', op, left, right: this.parseOperand() };
  }

  parseLiteral() {
    const tok = this.peek();
    if (tok.kind === 'str' || tok.kind === 'num') {
      this.next();
      return { type: 'literal', value: tok.value };
    }
    if (tok.kind === 'kw' && (tok.value === 'true' || tok.value === 'false' || tok.value === 'null')) {
      this.next();
      return { type: 'literal', value: { true: true, false: false, null: null }[tok.value] };
    }
    return null;
  }

  parseOperand() {
    const literal = this.parseLiteral();
    if (literal) return literal;
    const tok = this.peek();
    if (tok.kind === 'punct' && tok.value === '[') {
      this.next();
      const items = [];
      if (!this.at('punct', ']')) {
        for (;;) {
          const item = this.parseLiteral();
          if (!item) throw this.unexpected(this.peek(), 'a list holds only strings, numbers, true, false or null');
          items.push(item);
          if (!this.at('punct', ',')) break;
          this.next();
        }
      }
      this.expect('punct', ']', "',' or ']'");
      return { type: 'list', items };
    }
    if (tok.kind === 'punct' && tok.value === '(') {
      this.next();
      this.enter(tok);
      const node = this.parseOr();
      this.expect('punct', ')', "')'");
      this.depth -= 1;
      return node;
    }
    if (tok.kind === 'name') {
      this.next();
      if (!this.at('punct', '(')) return { type: 'name', name: tok.value };
      if (!FUNCTIONS.has(tok.value)) {
        throw new ConditionSyntaxError(`unknown function '${tok.value}'; only umur(...) exists`, tok.pos);
      }
      this.next();
      const arg = this.peek();
      if (arg.kind !== 'name') throw this.unexpected(arg, 'umur(...) takes the id of a date field');
      this.next();
      this.expect('punct', ')', "')'");
      return { type: 'umur', name: arg.value };
    }
    throw this.unexpected(tok, "expected a value, a field id or '('");
  }
}

const cache = new Map();

/** Parse `expr` into a frozen tree; throws ConditionSyntaxError with a code-point position. */
export function parse(expr) {
  if (typeof expr !== 'string') throw new ConditionSyntaxError('expression must be a string', 0);
  const hit = cache.get(expr);
  if (hit) return hit;
  const chars = Array.from(expr);
  if (chars.length > MAX_LENGTH) {
    throw new ConditionSyntaxError(`expression is longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  }
  const node = deepFreeze(new Parser(chars).parse());
  if (cache.size >= 2048) cache.clear();
  cache.set(expr, node);
  return node;
}

function deepFreeze(node) {
  for (const value of Object.values(node)) if (value && typeof value === 'object') deepFreeze(value);
  return Object.freeze(node);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** `YYYY-MM-DD` (optionally followed by `T...`) as {year, month, day}; null when not a real date. */
export function parseIsoDate(value) {
  if (typeof value !== 'string' || value.length < 10 || (value.length > 10 && value[10] !== 'T')) return null;
  const head = value.slice(0, 10);
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(head)) return null;
  const year = Number(head.slice(0, 4));
  const month = Number(head.slice(5, 7));
  const day = Number(head.slice(8, 10));
  if (year < 1 || month < 1 || month > 12 || day < 1) return null;
  const last = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  return day <= last ? { year, month, day } : null;
}

export function ageInYears(birth, today) {
  const b = parseIsoDate(birth);
  const t = parseIsoDate(today);
  if (!b || !t) return null;
  const before = t.month < b.month || (t.month === b.month && t.day < b.day);
  return t.year - b.year - (before ? 1 : 0);
}

function kind(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'object';
  return 'other';
}

function equal(a, b) {
  const ka = kind(a);
  if (ka !== kind(b) || ka === 'other') return false;
  if (ka === 'list') return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (ka === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => hasOwn(b, k) && equal(a[k], b[k]));
  }
  if (ka === 'null') return true;
  return a === b;
}

function truthy(value) {
  switch (kind(value)) {
    case 'null': return false;
    case 'bool': return value;
    case 'number': return value !== 0 && !Number.isNaN(value);
    case 'string': case 'list': return value.length > 0;
    default: return true;
  }
}

// Only the context's own properties count: `constructor` or `__proto__` are never inherited in.
function lookup(context, name) {
  if (context == null || !hasOwn(context, name)) return null;
  const value = context[name];
  return value === undefined ? null : value;
}

// Strings compare by code point, as Python does (JS `<` compares UTF-16 units).
function compareStrings(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function valueOf(node, context) {
  switch (node.type) {
    case 'literal': return node.value;
    case 'name': return lookup(context, node.name);
    case 'list': return node.items.map((item) => item.value);
    case 'umur': return ageInYears(lookup(context, node.name), lookup(context, '_today'));
    case 'not': return !truthy(valueOf(node.operand, context));
    case 'bool':
      return node.op === 'and'
        ? node.operands.every((o) => truthy(valueOf(o, context)))
        : node.operands.some((o) => truthy(valueOf(o, context)));
    case 'compare': return compare(node, context);
    default: throw new TypeError(`not a condition node: ${JSON.stringify(node)}`);
  }
}

const isNullLiteral = (node) => node.type === 'literal' && node.value === null;

function compare(node, context) {
  const { op } = node;
  if ((op === '==' || op === '!=') && (isNullLiteral(node.left) || isNullLiteral(node.right))) {
    const other = isNullLiteral(node.left) ? node.right : node.left;
    const missing = kind(valueOf(other, context)) === 'null';
    return op === '==' ? missing : !missing;
  }
  const a = valueOf(node.left, context);
  const b = valueOf(node.right, context);
  if (kind(a) === 'null' || kind(b) === 'null') return false;
  if (op === '==') return equal(a, b);
  if (op === '!=') return !equal(a, b);
  if (op === 'in' || op === 'not in') {
    if (kind(b) !== 'list') return false;
    const found = b.some((item) => equal(a, item));
    return op === 'in' ? found : !found;
  }
  const ka = kind(a);
  if (ka !== kind(b) || (ka !== 'number' && ka !== 'string')) return false;
  const d = ka === 'string' ? compareStrings(a, b) : a - b;
  if (op === '<') return d < 0;
  if (op === '<=') return d <= 0;
  if (op === '>') return d > 0;
  return d >= 0;
}

/** True when `expr` holds for the field values in `context` (plus `_today`, ISO). */
export function evaluate(expr, context) {
  const node = typeof expr === 'string' ? parse(expr) : expr;
  return truthy(valueOf(node, context ?? {}));
}

/** Like evaluate, but a missing or unreadable condition means "applies" (catalog README). */
export function evaluateLenient(expr, context) {
  if (expr === null || expr === undefined) return true;
  try {
    return evaluate(expr, context);
  } catch (err) {
    if (err instanceof ConditionSyntaxError) return true;
    throw err;
  }
}

/** The field ids an expression reads (including the argument of umur), as a Set. */
export function fieldNames(expr) {
  const names = new Set();
  const stack = [typeof expr === 'string' ? parse(expr) : expr];
  while (stack.length) {
    const node = stack.pop();
    if (node.type === 'name' || node.type === 'umur') names.add(node.name);
    else if (node.type === 'not') stack.push(node.operand);
    else if (node.type === 'bool') stack.push(...node.operands);
    else if (node.type === 'compare') stack.push(node.left, node.right);
  }
  return names;
}
