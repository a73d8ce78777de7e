// The trees compiled to JavaScript: each tree becomes one nested conditional expression
// (`x[o+3] <= 1.5 ? (…) : …`) and 20 trees one function, so V8 turns the model into straight
// machine code with the thresholds as constants instead of walking five typed arrays per node
// — the trees' share of scoring drops several-fold. Only numbers from the model reach the
// source, each checked (integer feature index in range, finite threshold and leaf value), and
// written in JavaScript's shortest round-trip form, so the scores are bit-for-bit those of the
// interpreter (same additions, same order). A model that fails a check is not compiled.
import type { GbdtJson, TreeJson } from './gbdt.ts';

const TREES_PER_FUNCTION = 20;

type Chunk = (x: ArrayLike<number>, o: number, s: number) => number;

function literal(value: number): string {
  if (!Number.isFinite(value)) throw new Error('non-finite number in model');
  return Object.is(value, -0) ? '-0' : String(value);
}

function expression(tree: TreeJson, node: number, featureCount: number, depth: number): string {
  const f = tree.feature[node]!;
  if (f < 0) return literal(tree.value[node]!);
  if (!Number.isInteger(f) || f >= featureCount || depth > 64) throw new Error('bad split in model');
  const left = expression(tree, tree.left[node]!, featureCount, depth + 1);
  const right = expression(tree, tree.right[node]!, featureCount, depth + 1);
  return `(x[o+${f}]<=${literal(tree.threshold[node]!)}?${left}:${right})`;
}

/** Log-odds function of the model, or undefined when it cannot be compiled safely. */
export function compileGbdt(model: GbdtJson): ((x: ArrayLike<number>, offset: number) => number) | undefined {
  try {
    const chunks: Chunk[] = [];
    for (let from = 0; from < model.trees.length; from += TREES_PER_FUNCTION) {
      const terms = model.trees
        .slice(from, from + TREES_PER_FUNCTION)
        .map((tree) => expression(tree, 0, model.featureCount, 0));
      // Left to right from s: the interpreter's order of additions exactly.
      chunks.push(new Function('x', 'o', 's', `return s+${terms.join('+')};`) as Chunk);
    }
    const base = model.baseScore;
    if (!Number.isFinite(base)) return undefined;
    return (x, offset) => {
      let sum = base;
      for (let i = 0; i < chunks.length; i++) sum = chunks[i]!(x, offset, sum);
      return sum;
    };
  } catch {
    return undefined;
  }
}
