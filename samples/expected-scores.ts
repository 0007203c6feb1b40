/**
 * How the built-in scorecards should answer on each sample call, written from the scripts in
 * samples/scripts.ts by their author (not by running the evaluator): the ground truth for
 * `npm run bench:scorecards` and the scorecard tests. Manual items are left out (only a reviewer
 * answers them). Answers assume the call's transcript is available.
 */
export type Answer = 'pass' | 'fail' | 'na'

const inboundEn = (overrides: Partial<Record<string, Answer>>): Record<string, Answer> => ({
  greeting: 'pass',
  'agent-name': 'pass',
  verification: 'pass',
  'restate-problem': 'fail',
  'no-long-dead-air': 'pass',
  'hold-ask': 'na',
  'hold-estimate': 'na',
  'hold-thanks': 'na',
  'hold-length': 'na',
  'no-interrupting': 'pass',
  // No sample agent is dismissive or rude.
  conduct: 'pass',
  'anything-else': 'pass',
  'thanks-at-end': 'pass',
  'customer-sentiment': 'pass',
  ...(overrides as Record<string, Answer>),
})

const compliance = (overrides: Partial<Record<string, Answer>>): Record<string, Answer> => ({
  verified: 'pass',
  'disclosure-before-verification': 'na',
  'card-number-read-back': 'pass',
  profanity: 'pass',
  'forbidden-promises': 'pass',
  'agent-conduct': 'pass',
  'dead-air': 'pass',
  interruptions: 'pass',
  ...(overrides as Record<string, Answer>),
})

export const expectedScores: Record<string, Record<string, Record<string, Answer>>> = {
  'call-01-clean-billing': {
    // "So you are asking why the October bill is higher than September."
    'inbound-support-en': inboundEn({ 'restate-problem': 'pass' }),
    'compliance-deduction': compliance({}),
  },
  'call-02-phone-password': {
    // "So the password reset email is not reaching you."
    'inbound-support-en': inboundEn({ 'restate-problem': 'pass' }),
    'compliance-deduction': compliance({}),
  },
  'call-03-mono-delivery': {
    // Both parties on one channel: interruptions cannot be told apart.
    'inbound-support-en': inboundEn({ 'no-interrupting': 'na' }),
    'compliance-deduction': compliance({ interruptions: 'na' }),
  },
  'call-04-phone-dead-air': {
    // 16 s of silence after "Let me check that for you", then "sorry for the wait"; the customer
    // ends curt ("That took a while." "No. Bye."). Nobody asked to hold, no music: dead air, and
    // the hold items do not apply.
    'inbound-support-en': inboundEn({
      'no-long-dead-air': 'fail',
      'customer-sentiment': 'fail',
    }),
    'compliance-deduction': compliance({ 'dead-air': 'fail' }),
  },
  'call-05-phone-overtalk': {
    // The customer talks over the agent twice; the agent never interrupts.
    'inbound-support-en': inboundEn({}),
    'compliance-deduction': compliance({}),
  },
  'call-06-phone-angry': {
    // Transferred to a supervisor: no "anything else"; the customer ends angrier than they began.
    'inbound-support-en': inboundEn({ 'anything-else': 'fail', 'customer-sentiment': 'fail' }),
    'compliance-deduction': compliance({}),
  },
  'call-07-phone-outbound': {
    'outbound-en': {
      'identify-and-purpose': 'pass',
      'right-person': 'pass',
      verification: 'pass',
      'no-long-dead-air': 'pass',
      'talk-ratio': 'pass',
      'thanks-at-end': 'pass',
    },
    'compliance-deduction': compliance({}),
  },
  'call-08-clean-zh-refund': {
    'inbound-support-zh': {
      conduct: 'pass',
      greeting: 'pass',
      'agent-name': 'pass',
      verification: 'pass',
      'no-long-dead-air': 'pass',
      'hold-ask': 'na',
      'hold-estimate': 'na',
      'hold-thanks': 'na',
      'hold-length': 'na',
      'no-interrupting': 'pass',
      'anything-else': 'pass',
      'thanks-at-end': 'pass',
      'customer-sentiment': 'pass',
    },
    'compliance-deduction': compliance({}),
  },
  'call-09-phone-street-noise': {
    'inbound-support-en': inboundEn({}),
    'compliance-deduction': compliance({}),
  },
  'call-10-phone-hold-en': {
    // "May I put you on hold for about two minutes…?" 18 s of silence, "Thank you for holding":
    // a hold done by the book, and no dead air.
    'inbound-support-en': inboundEn({
      'hold-ask': 'pass',
      'hold-estimate': 'pass',
      'hold-thanks': 'pass',
      'hold-length': 'pass',
    }),
    'compliance-deduction': compliance({}),
  },
  'call-11-phone-music-hold': {
    // "Let me look into that for you." then 20 s of music, "Thanks for waiting": a hold (music),
    // never asked for, with no idea of its length.
    'inbound-support-en': inboundEn({
      'hold-ask': 'fail',
      'hold-estimate': 'fail',
      'hold-thanks': 'pass',
      'hold-length': 'pass',
    }),
    'compliance-deduction': compliance({}),
  },
  'call-12-clean-zh-hold': {
    // "请您稍等，我帮您查询一下，大概需要两分钟" … 18 s … "感谢您的耐心等待".
    'inbound-support-zh': {
      conduct: 'pass',
      greeting: 'pass',
      'agent-name': 'pass',
      verification: 'pass',
      'no-long-dead-air': 'pass',
      'hold-ask': 'pass',
      'hold-estimate': 'pass',
      'hold-thanks': 'pass',
      'hold-length': 'pass',
      'no-interrupting': 'pass',
      'anything-else': 'pass',
      'thanks-at-end': 'pass',
      'customer-sentiment': 'pass',
    },
    'compliance-deduction': compliance({}),
  },
}
