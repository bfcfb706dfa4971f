import { patientResult, PatientContext, referralRuleText } from '../../src/predict/patient';
import { pairsByName } from '../../src/predict/pairs';
import { ImagePrediction } from '../../src/predict/predict';

function eye(file: string, probabilities: number[], classes: string[]): ImagePrediction {
  let top = 0;
  probabilities.forEach((p, c) => (p > probabilities[top] ? (top = c) : undefined));
  return { ok: true, file, probabilities, top: { index: top, name: classes[top], probability: probabilities[top] } };
}

const DR = ['no_dr', 'mild', 'proliferative'];
const graded: PatientContext = { task: 'multiclass', classes: DR, referableFrom: 1, thresholds: null, rule: { minEyeDifference: 0.1 } };

describe('the referral rule (minEyeDifference)', () => {
  test('refers when every class differs by less than the threshold, not when one class differs by the threshold or more', () => {
    const close = patientResult('a', eye('r', [0.5, 0.3, 0.2], DR), eye('l', [0.45, 0.34, 0.21], DR), graded);
    expect(close.eyeDifference.value).toBeCloseTo(0.05, 10);
    expect(close.eyeDifference.className).toBe('no_dr');
    expect(close.referral.refer).toBe(true);
    expect(close.referral.text).toMatch(
      /^Please see an ophthalmologist: .*differ by at most 0\.050 .*less than 0\.1, so the model could not tell the eyes apart/,
    );

    const apart = patientResult('b', eye('r', [0.5, 0.3, 0.2], DR), eye('l', [0.35, 0.44, 0.21], DR), graded);
    expect(apart.eyeDifference.value).toBeCloseTo(0.15, 10);
    expect(apart.referral.refer).toBe(false);
    expect(apart.referral.text).toMatch(/^No referral from the eye-difference rule: .*differ by 0\.150 for 'no_dr', at least 0\.1/);

    // Exactly at the threshold is not "less than" it (0.25 and 0.5 are exact in binary floating point).
    const edge = patientResult('c', eye('r', [0.5, 0.25, 0.25], DR), eye('l', [0.25, 0.5, 0.25], DR), {
      ...graded,
      rule: { minEyeDifference: 0.25 },
    });
    expect(edge.referral.refer).toBe(false);
  });

  test('the threshold is configurable, 0 switches the rule off, and the rule is stated in words', () => {
    const r = eye('r', [0.5, 0.3, 0.2], DR);
    const l = eye('l', [0.3, 0.5, 0.2], DR);
    expect(patientResult('a', r, l, graded).referral.refer).toBe(false);
    expect(patientResult('a', r, l, { ...graded, rule: { minEyeDifference: 0.3 } }).referral.refer).toBe(true);
    const off = patientResult('a', r, r, { ...graded, rule: { minEyeDifference: 0 } });
    expect(off.referral.refer).toBe(false);
    expect(off.referral.text).toMatch(/rule is off/);
    expect(referralRuleText({ minEyeDifference: 0.1 })).toMatch(
      /when no class's probability differs between the right and the left eye by 0\.1 or more/,
    );
  });
});

describe('the patient-level result', () => {
  test('ordered grades: the worse eye, and whether that grade is referable', () => {
    const p = patientResult('a', eye('r', [0.7, 0.2, 0.1], DR), eye('l', [0.2, 0.3, 0.5], DR), graded);
    expect(p.levelRule).toBe('worse-eye');
    expect(p.result).toEqual({ index: 2, name: 'proliferative', probability: 0.5, eye: 'left' });
    expect(p.referableGrade?.referable).toBe(true);
    const healthy = patientResult('b', eye('r', [0.7, 0.2, 0.1], DR), eye('l', [0.9, 0.05, 0.05], DR), graded);
    expect(healthy.result).toEqual({ index: 0, name: 'no_dr', probability: 0.9, eye: 'both' });
    expect(healthy.referableGrade?.referable).toBe(false);
  });

  test('binary: max-probability rule on the positive class', () => {
    const classes = ['normal', 'glaucoma'];
    const ctx: PatientContext = { task: 'binary', classes, referableFrom: null, thresholds: null, rule: { minEyeDifference: 0.1 } };
    const pos = patientResult('a', eye('r', [0.8, 0.2], classes), eye('l', [0.4, 0.6], classes), ctx);
    expect(pos.levelRule).toBe('max-probability');
    expect(pos.result).toMatchObject({ name: 'glaucoma', probability: 0.6, eye: 'left' });
    const neg = patientResult('b', eye('r', [0.8, 0.2], classes), eye('l', [0.6, 0.4], classes), ctx);
    expect(neg.result).toMatchObject({ name: 'normal', eye: 'left' });
    expect(neg.result.probability).toBeCloseTo(0.6, 10);
  });

  test('multi-label: a label is present when either eye reaches its threshold', () => {
    const classes = ['cataract', 'glaucoma', 'diabetic_retinopathy', 'normal_fundus'];
    const ctx: PatientContext = {
      task: 'multilabel',
      classes,
      referableFrom: null,
      thresholds: [0.5, 0.5, 0.3, 0.5],
      rule: { minEyeDifference: 0.1 },
    };
    const p = patientResult('a', eye('r', [0.1, 0.7, 0.2, 0.3], classes), eye('l', [0.2, 0.1, 0.35, 0.6], classes), ctx);
    expect(p.levelRule).toBe('per-label-max');
    expect(p.positive).toEqual(['glaucoma', 'diabetic_retinopathy', 'normal_fundus']);
    expect(p.probabilities).toEqual([0.2, 0.7, 0.35, 0.6]);
  });

  test('multiclass without ordered grades: the class with the highest probability in either eye', () => {
    const classes = ['cataract', 'glaucoma', 'normal'];
    const ctx: PatientContext = { task: 'multiclass', classes, referableFrom: null, thresholds: null, rule: { minEyeDifference: 0.1 } };
    const p = patientResult('a', eye('r', [0.1, 0.6, 0.3], classes), eye('l', [0.05, 0.2, 0.75], classes), ctx);
    expect(p.levelRule).toBe('max-probability');
    expect(p.result).toMatchObject({ name: 'normal', probability: 0.75, eye: 'left' });
  });
});

describe('eyes without a patient result', () => {
  test('a lone eye and a second image of the same eye each get the reason they form no pair', () => {
    const { pairs, lone } = pairsByName(['/d/1_right.jpg', '/d/3.jpg', '/d/1_left.jpg', '/d/1_left.png', '/d/2_left.png']);
    expect(pairs).toEqual([{ patient: '1', right: '/d/1_right.jpg', left: '/d/1_left.jpg' }]);
    expect(lone).toEqual([
      { file: '/d/1_left.png', reason: 'patient 1 has another left-eye image, 1_left.jpg, which pairs first; give this one with --pair or --pairs' },
      {
        file: '/d/2_left.png',
        reason: 'only the left eye of patient 2: no 2_right image in /d among the inputs, and a patient result needs both eyes',
      },
    ]);
  });
});
