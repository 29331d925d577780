// The device's condition language runs the same vectors as server/catalog/conditions.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConditionSyntaxError, evaluate, evaluateLenient, fieldNames, parse } from '../../../pwa/src/forms/conditions.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/conditions.json', import.meta.url), 'utf8'));
const source = readFileSync(new URL('../../../pwa/src/forms/conditions.js', import.meta.url), 'utf8');

test('the shared vectors hold on the device', () => {
  assert.ok(vectors.length >= 60);
  for (const { expr, context, result } of vectors) {
    const label = `${JSON.stringify(expr).slice(0, 80)} ${JSON.stringify(context).slice(0, 80)}`;
    if (typeof result === 'object') {
      assert.throws(() => evaluate(expr, context), (err) => {
        assert.ok(err instanceof ConditionSyntaxError, `${label}: ${err}`);
        if ('position' in result) assert.equal(err.position, result.position, `${label}: ${err.message}`);
        return true;
      }, label);
    } else {
      assert.equal(evaluate(expr, context), result, label);
    }
  }
});

test('every seed when hint parses', () => {
  const catalog = JSON.parse(readFileSync(new URL('../../../server/catalog/data/services.json', import.meta.url), 'utf8'));
  const hints = catalog.services.flatMap((s) => s.requirements.filter((r) => r.when).map((r) => r.when));
  assert.ok(hints.length > 0);
  for (const when of hints) assert.doesNotThrow(() => parse(when), when);
});

test('fieldNames lists every identifier including the umur argument', () => {
  const names = fieldNames("not a == 'x' or b in ['p', 'q'] and umur(lahir) >= 17 or 'v' in c");
  assert.deepEqual([...names].sort(), ['a', 'b', 'c', 'lahir']);
  assert.deepEqual([...fieldNames(parse('a == null'))], ['a']);
  assert.equal(fieldNames('true').size, 0);
  assert.throws(() => fieldNames('a =='), ConditionSyntaxError);
});

test('lenient evaluation shows the requirement when the hint is unreadable', () => {
  assert.equal(evaluateLenient('anak berusia 5 tahun ke atas', {}), true);
  assert.equal(evaluateLenient(null, {}), true);
  assert.equal(evaluateLenient("a == 'x'", { a: 'y' }), false);
});

test('a syntax error carries a reason and a position', () => {
  assert.throws(() => parse("jenis == 'baru' and and"), (err) => err.position === 20 && /position 20/.test(err.message) && err.reason.length > 0);
});

test('parsed trees are frozen and cached', () => {
  const node = parse("a in ['x', 'y']");
  assert.equal(parse("a in ['x', 'y']"), node);
  assert.ok(Object.isFrozen(node) && Object.isFrozen(node.right.items));
});

test('a context with a null prototype or inherited properties is read safely', () => {
  const ctx = Object.create({ inherited: 'x' });
  assert.equal(evaluate("inherited == 'x'", ctx), false);
  const bare = Object.assign(Object.create(null), { a: 'x' });
  assert.equal(evaluate("a == 'x'", bare), true);
});

test('the module never reaches eval or Function', () => {
  assert.doesNotMatch(source, /\beval\s*\(|new Function|Function\s*\(|setTimeout\s*\(\s*['"`]/);
});
