/**
 * The sample calls' scripts. Each follows the call flow callqa scores: greeting (agent name + company),
 * identity verification, problem identification, resolution, closing ("anything else?", thanks).
 * `gapMs` is the silence before a turn, measured from the end of the previous turn;
 * a negative gap starts the turn while the previous speaker is still talking (overtalk).
 */
export type Side = 'agent' | 'customer'

export interface Turn {
  speaker: Side
  text: string
  gapMs?: number
  /** Said agitated: louder, higher and faster than the speaker's own voice (ground truth for arousal). */
  style?: 'agitated'
  /** The gap before this turn is a hold: silent, or with music on the agent's line. */
  hold?: 'silent' | 'music'
}

export interface CallScript {
  id: string
  title: string
  /** clean = 16 kHz FLAC stereo, no noise; telephone = 8 kHz mu-law WAV, 300–3400 Hz band, noise. */
  channel: 'clean' | 'telephone'
  /** mono = both parties mixed on one channel. */
  layout: 'stereo-agent-left' | 'mono'
  direction: 'inbound' | 'outbound'
  language: 'en' | 'zh'
  voices: Record<Side, { voice: string; pitch: number; speed: number; gain: number }>
  /** Noise level per side as signal-to-noise ratio in dB (telephone only). */
  snrDb?: Record<Side, number>
  metadata: {
    agent: string
    team: string
    queue: string
    startedAt: string
    csat: number | null
    disposition: string
  }
  turns: Turn[]
}

const enAgent = { voice: 'en-us+m3', pitch: 45, speed: 165, gain: 1 }
const enCustomerF = { voice: 'en-gb-x-rp+f3', pitch: 65, speed: 160, gain: 0.8 }
const enCustomerM = { voice: 'en-gb-scotland+m1', pitch: 35, speed: 170, gain: 0.9 }

export const scripts: CallScript[] = [
  {
    id: 'call-01-clean-billing',
    title: 'Clean inbound billing question, resolved',
    channel: 'clean',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'en',
    voices: { agent: enAgent, customer: enCustomerF },
    metadata: {
      agent: 'a.sam',
      team: 'billing-east',
      queue: 'billing',
      startedAt: '2026-11-02T09:15:00Z',
      csat: 5,
      disposition: 'resolved',
    },
    turns: [
      {
        speaker: 'agent',
        text: 'Thank you for calling Acme Energy, my name is Sam. How can I help you today?',
        gapMs: 600,
      },
      {
        speaker: 'customer',
        text: 'Hi Sam. I have a question about my last bill, it looks higher than usual.',
        gapMs: 700,
      },
      {
        speaker: 'agent',
        text: 'I can help with that. Can I have your account number and your date of birth please?',
        gapMs: 500,
      },
      {
        speaker: 'customer',
        text: 'Sure, the account number is A C seven two nine, and my birthday is March third.',
        gapMs: 800,
      },
      {
        speaker: 'agent',
        text: 'Thank you, you are verified. So you are asking why the October bill is higher than September.',
        gapMs: 900,
      },
      { speaker: 'customer', text: 'Yes, exactly. I did not change anything at home.', gapMs: 600 },
      {
        speaker: 'agent',
        text: 'I see that the meter reading in September was an estimate. October used the real reading, so it caught up.',
        gapMs: 1500,
      },
      {
        speaker: 'customer',
        text: 'Oh, that makes sense. So the next bill should be normal again?',
        gapMs: 700,
      },
      {
        speaker: 'agent',
        text: 'Yes, it should be back to your usual amount. Is there anything else I can help you with?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'No, that is all. Thank you very much.', gapMs: 700 },
      { speaker: 'agent', text: 'Thank you for calling Acme Energy. Have a great day.', gapMs: 500 },
    ],
  },
  {
    id: 'call-02-phone-password',
    title: 'Noisy telephone inbound: password reset',
    channel: 'telephone',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'en',
    voices: { agent: enAgent, customer: enCustomerM },
    snrDb: { agent: 24, customer: 12 },
    metadata: {
      agent: 'a.sam',
      team: 'support-west',
      queue: 'tech-support',
      startedAt: '2026-11-03T14:02:00Z',
      csat: 4,
      disposition: 'resolved',
    },
    turns: [
      {
        speaker: 'agent',
        text: 'Good afternoon, Acme support, this is Sam speaking. What can I do for you?',
        gapMs: 800,
      },
      {
        speaker: 'customer',
        text: 'Hello. I am locked out of my online account and the reset email never arrives.',
        gapMs: 900,
      },
      {
        speaker: 'agent',
        text: 'Sorry to hear that. For security, could you confirm your full name and the postcode on the account?',
        gapMs: 600,
      },
      {
        speaker: 'customer',
        text: 'It is Robert Mills, and the postcode is E C one, four B Q.',
        gapMs: 1100,
      },
      {
        speaker: 'agent',
        text: 'Thanks Robert, that matches. So the password reset email is not reaching you.',
        gapMs: 700,
      },
      { speaker: 'customer', text: 'Right, I tried three times this morning.', gapMs: 500 },
      {
        speaker: 'agent',
        text: 'The address on file has a typo. I have corrected it and sent a new reset link now.',
        gapMs: 2500,
      },
      { speaker: 'customer', text: 'Yes, it just arrived. Great, I am in.', gapMs: 3000 },
      { speaker: 'agent', text: 'Wonderful. Is there anything else I can help with today?', gapMs: 600 },
      { speaker: 'customer', text: 'No, thanks a lot for your help.', gapMs: 700 },
      { speaker: 'agent', text: 'You are welcome. Thank you for calling Acme, goodbye.', gapMs: 500 },
    ],
  },
  {
    id: 'call-03-mono-delivery',
    title: 'Mono telephone recording: late delivery',
    channel: 'telephone',
    layout: 'mono',
    direction: 'inbound',
    language: 'en',
    voices: { agent: { ...enAgent, voice: 'en-us+m5' }, customer: enCustomerF },
    snrDb: { agent: 22, customer: 16 },
    metadata: {
      agent: 'a.lee',
      team: 'orders',
      queue: 'deliveries',
      startedAt: '2026-11-04T10:30:00Z',
      csat: 3,
      disposition: 'follow-up',
    },
    turns: [
      {
        speaker: 'agent',
        text: 'Thank you for calling Acme Shop, my name is Lee. How may I help?',
        gapMs: 500,
      },
      {
        speaker: 'customer',
        text: 'My order was supposed to arrive on Monday and it still has not come.',
        gapMs: 800,
      },
      {
        speaker: 'agent',
        text: 'I am sorry about that. Can you give me the order number and the name on the order?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'Order four four eight one two, under the name Jane Porter.', gapMs: 900 },
      {
        speaker: 'agent',
        text: 'Thank you Jane. The parcel is held at the local depot because of a missing flat number.',
        gapMs: 2000,
      },
      { speaker: 'customer', text: 'Oh. It is flat twelve.', gapMs: 700 },
      {
        speaker: 'agent',
        text: 'I have added flat twelve and booked delivery for tomorrow morning. Anything else I can do?',
        gapMs: 1200,
      },
      { speaker: 'customer', text: 'No, that is fine. Thanks.', gapMs: 600 },
      { speaker: 'agent', text: 'Thanks for calling Acme Shop. Goodbye.', gapMs: 500 },
    ],
  },
  {
    id: 'call-04-phone-dead-air',
    title: 'Telephone inbound with a long silent hold (dead air)',
    channel: 'telephone',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'en',
    voices: { agent: { ...enAgent, voice: 'en-us+m2', pitch: 50 }, customer: enCustomerM },
    snrDb: { agent: 22, customer: 14 },
    metadata: {
      agent: 'a.kim',
      team: 'billing-east',
      queue: 'billing',
      startedAt: '2026-11-05T16:45:00Z',
      csat: 2,
      disposition: 'resolved',
    },
    turns: [
      { speaker: 'agent', text: 'Acme Energy, Kim speaking, how can I help you?', gapMs: 700 },
      {
        speaker: 'customer',
        text: 'I would like to move my payment date to the fifteenth of the month.',
        gapMs: 800,
      },
      {
        speaker: 'agent',
        text: 'Of course. Can you confirm the first line of your address for me?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'Twenty two Hill Road.', gapMs: 800 },
      { speaker: 'agent', text: 'Thank you. Let me check that for you.', gapMs: 500 },
      { speaker: 'customer', text: 'Hello? Are you still there?', gapMs: 16000 },
      {
        speaker: 'agent',
        text: 'Yes, sorry for the wait. Your payment date is now the fifteenth.',
        gapMs: 1400,
      },
      { speaker: 'customer', text: 'Okay. That took a while.', gapMs: 600 },
      {
        speaker: 'agent',
        text: 'Apologies for that. Is there anything else I can help you with?',
        gapMs: 700,
      },
      { speaker: 'customer', text: 'No. Bye.', gapMs: 600 },
      { speaker: 'agent', text: 'Thank you for calling, goodbye.', gapMs: 400 },
    ],
  },
  {
    id: 'call-05-phone-overtalk',
    title: 'Telephone inbound with overtalk and interruptions',
    channel: 'telephone',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'en',
    voices: { agent: enAgent, customer: { ...enCustomerF, voice: 'en-us+f2' } },
    snrDb: { agent: 24, customer: 15 },
    metadata: {
      agent: 'a.lee',
      team: 'orders',
      queue: 'returns',
      startedAt: '2026-11-06T11:20:00Z',
      csat: 3,
      disposition: 'resolved',
    },
    turns: [
      {
        speaker: 'agent',
        text: 'Thank you for calling Acme Shop, my name is Sam. How can I help you today?',
        gapMs: 500,
      },
      {
        speaker: 'customer',
        text: 'I want to return a jacket I bought last week, it is the wrong size.',
        gapMs: 700,
      },
      {
        speaker: 'agent',
        text: 'I can help with that. First I need to verify your account, can you tell me your email address and the',
        gapMs: 500,
      },
      {
        speaker: 'customer',
        text: 'It is jane at example dot com, the order was placed online.',
        gapMs: -1500,
      },
      {
        speaker: 'agent',
        text: 'Thank you. I see the order. Returns are free within thirty days, so I will email you a label and',
        gapMs: 800,
      },
      { speaker: 'customer', text: 'Can I just drop it at the store instead?', gapMs: -1800 },
      { speaker: 'agent', text: 'Yes, you can return it at any of our stores with the receipt.', gapMs: 600 },
      { speaker: 'customer', text: 'Great.', gapMs: 500 },
      { speaker: 'agent', text: 'Is there anything else I can help you with?', gapMs: 600 },
      { speaker: 'customer', text: 'No, thank you.', gapMs: 600 },
      { speaker: 'agent', text: 'Thanks for calling Acme Shop, bye now.', gapMs: 500 },
    ],
  },
  {
    id: 'call-06-phone-angry',
    title: 'Telephone inbound, customer grows angry and asks for a supervisor',
    channel: 'telephone',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'en',
    voices: {
      agent: { ...enAgent, voice: 'en-us+m4' },
      customer: { voice: 'en-gb+m7', pitch: 45, speed: 160, gain: 0.9 },
    },
    snrDb: { agent: 25, customer: 13 },
    metadata: {
      agent: 'a.kim',
      team: 'support-west',
      queue: 'complaints',
      startedAt: '2026-11-07T13:05:00Z',
      csat: 1,
      disposition: 'escalated',
    },
    turns: [
      {
        speaker: 'agent',
        text: 'Thank you for calling Acme Broadband, my name is Kim, how can I help?',
        gapMs: 600,
      },
      {
        speaker: 'customer',
        text: 'Hello. My internet has been down since Monday and I would like to know when it will be fixed.',
        gapMs: 500,
      },
      {
        speaker: 'agent',
        text: 'I am sorry to hear that. Can I take your account number to look into it?',
        gapMs: 500,
      },
      { speaker: 'customer', text: 'Yes, it is nine nine one two three.', gapMs: 600 },
      {
        speaker: 'agent',
        text: 'Thank you. Can you confirm the first line of your address?',
        gapMs: 700,
      },
      { speaker: 'customer', text: 'Twelve Station Road, in Leeds.', gapMs: 600 },
      {
        speaker: 'agent',
        text: 'Thank you. I can see an open fault on your line. An engineer is booked for Friday.',
        gapMs: 1200,
      },
      {
        speaker: 'customer',
        text: 'Friday? This is ridiculous! I have been without internet for three days and nobody has fixed it!',
        gapMs: 300,
        style: 'agitated',
      },
      {
        speaker: 'agent',
        text: 'I understand, and I am very sorry. I will credit three days to your account.',
        gapMs: 600,
      },
      {
        speaker: 'customer',
        text: 'That is not good enough! I want to cancel and I want a refund! Put me through to a supervisor!',
        gapMs: 300,
        style: 'agitated',
      },
      {
        speaker: 'agent',
        text: 'Of course. I will transfer you to my supervisor now.',
        gapMs: 700,
      },
      { speaker: 'customer', text: 'Fine. I will wait for the supervisor then.', gapMs: 600 },
      {
        speaker: 'agent',
        text: 'Thank you for your patience. Please hold while I transfer you.',
        gapMs: 500,
      },
    ],
  },
  {
    id: 'call-07-phone-outbound',
    title: 'Telephone outbound renewal call',
    channel: 'telephone',
    layout: 'stereo-agent-left',
    direction: 'outbound',
    language: 'en',
    voices: { agent: { ...enAgent, voice: 'en-us+f4', pitch: 60 }, customer: enCustomerM },
    snrDb: { agent: 24, customer: 16 },
    metadata: {
      agent: 'a.ray',
      team: 'retention',
      queue: 'outbound-renewals',
      startedAt: '2026-11-08T15:40:00Z',
      csat: null,
      disposition: 'sale',
    },
    turns: [
      { speaker: 'customer', text: 'Hello?', gapMs: 900 },
      {
        speaker: 'agent',
        text: 'Hello, this is Ray calling from Acme Insurance about your car insurance renewal. Am I speaking with Mister Mills?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'Yes, speaking.', gapMs: 700 },
      {
        speaker: 'agent',
        text: 'Thanks. Before we go on, can you confirm your date of birth please?',
        gapMs: 500,
      },
      { speaker: 'customer', text: 'The fourth of July, nineteen eighty.', gapMs: 800 },
      {
        speaker: 'agent',
        text: 'Thank you. Your policy renews next month, and I can offer the same cover for ten percent less.',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'That sounds good. Go ahead and renew it.', gapMs: 1000 },
      {
        speaker: 'agent',
        text: 'Done. You will get the documents by email today. Thank you for your time, goodbye.',
        gapMs: 1300,
      },
      { speaker: 'customer', text: 'Bye.', gapMs: 500 },
    ],
  },
  {
    id: 'call-08-clean-zh-refund',
    title: 'Clean inbound call in Mandarin: refund request',
    channel: 'clean',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'zh',
    voices: {
      agent: { voice: 'cmn+f3', pitch: 55, speed: 160, gain: 1 },
      customer: { voice: 'cmn+m3', pitch: 40, speed: 165, gain: 0.9 },
    },
    metadata: {
      agent: 'a.wang',
      team: 'support-cn',
      queue: 'refunds-cn',
      startedAt: '2026-11-09T02:10:00Z',
      csat: 4,
      disposition: 'resolved',
    },
    turns: [
      { speaker: 'agent', text: '您好，感谢致电极客商城，我是客服小王，请问有什么可以帮您？', gapMs: 600 },
      { speaker: 'customer', text: '你好，我上周买的耳机坏了，我想退款。', gapMs: 700 },
      { speaker: 'agent', text: '好的，请您提供一下订单号和手机号码后四位，我帮您核实身份。', gapMs: 600 },
      { speaker: 'customer', text: '订单号是八八六二一，手机后四位是五五零一。', gapMs: 900 },
      { speaker: 'agent', text: '谢谢您，已经核实。您的耳机在保修期内，我现在为您办理退款。', gapMs: 1500 },
      { speaker: 'customer', text: '好的，大概多久能到账？', gapMs: 700 },
      { speaker: 'agent', text: '三到五个工作日退回到原支付账户。请问还有其他可以帮您的吗？', gapMs: 800 },
      { speaker: 'customer', text: '没有了，谢谢。', gapMs: 600 },
      { speaker: 'agent', text: '感谢您的来电，祝您生活愉快，再见。', gapMs: 500 },
    ],
  },
  {
    id: 'call-09-phone-street-noise',
    title: 'Telephone inbound from a noisy street (customer at 4 dB SNR)',
    channel: 'telephone',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'en',
    voices: {
      agent: { ...enAgent, voice: 'en-us+m6' },
      customer: { ...enCustomerF, voice: 'en-us+f5', gain: 0.7 },
    },
    snrDb: { agent: 18, customer: 4 },
    metadata: {
      agent: 'a.ray',
      team: 'support-west',
      queue: 'tech-support',
      startedAt: '2026-11-10T08:05:00Z',
      csat: 3,
      disposition: 'resolved',
    },
    turns: [
      {
        speaker: 'agent',
        text: 'Thank you for calling Acme Mobile, my name is Ray. How can I help you?',
        gapMs: 700,
      },
      {
        speaker: 'customer',
        text: 'Hi, sorry, I am outside. My phone says no service since this morning.',
        gapMs: 900,
      },
      {
        speaker: 'agent',
        text: 'No problem. Can you confirm the mobile number and the last four digits of your card?',
        gapMs: 600,
      },
      {
        speaker: 'customer',
        text: 'It is oh seven seven, one two three, four five six. Card ending eight eight two.',
        gapMs: 1000,
      },
      {
        speaker: 'agent',
        text: 'Thank you. There is a mast fault in your area. It should be fixed by six tonight.',
        gapMs: 1800,
      },
      { speaker: 'customer', text: 'Okay. Will I get a text when it is back?', gapMs: 700 },
      {
        speaker: 'agent',
        text: 'Yes, we will send a text. Is there anything else I can help with?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'No, that is all, thanks.', gapMs: 800 },
      { speaker: 'agent', text: 'Thanks for calling Acme Mobile, goodbye.', gapMs: 500 },
    ],
  },
  {
    id: 'call-10-phone-hold-en',
    title: 'Telephone inbound with an announced hold (two minutes asked, 18 s taken)',
    channel: 'telephone',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'en',
    voices: { agent: { ...enAgent, voice: 'en-us+f4', pitch: 60 }, customer: enCustomerM },
    snrDb: { agent: 24, customer: 16 },
    metadata: {
      agent: 'a.dana',
      team: 'mobile',
      queue: 'billing',
      startedAt: '2026-11-10T10:05:00Z',
      csat: 5,
      disposition: 'resolved',
    },
    turns: [
      {
        speaker: 'agent',
        text: 'Thank you for calling Acme Mobile, this is Dana. How can I help you today?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'Hi Dana, I was charged twice for my phone bill this month.', gapMs: 700 },
      {
        speaker: 'agent',
        text: 'I am sorry about that. Can you confirm your account number please?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'Yes, it is the one that ends in four seven one.', gapMs: 800 },
      {
        speaker: 'agent',
        text: 'Thank you. May I put you on hold for about two minutes while I check the charges?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'Sure, go ahead.', gapMs: 700 },
      {
        speaker: 'agent',
        text: 'Thank you for holding. I found the duplicate charge and I have refunded it.',
        gapMs: 18000,
        hold: 'silent',
      },
      { speaker: 'customer', text: 'Great, thank you.', gapMs: 700 },
      { speaker: 'agent', text: 'Is there anything else I can help you with?', gapMs: 600 },
      { speaker: 'customer', text: 'No, that is everything.', gapMs: 700 },
      { speaker: 'agent', text: 'Thank you for calling Acme Mobile, goodbye.', gapMs: 500 },
    ],
  },
  {
    id: 'call-11-phone-music-hold',
    title: 'Telephone inbound with music on hold and no hold announced',
    channel: 'telephone',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'en',
    voices: {
      agent: { ...enAgent, voice: 'en-us+f2', pitch: 55 },
      customer: { ...enCustomerM, voice: 'en-us+m1' },
    },
    snrDb: { agent: 24, customer: 18 },
    metadata: {
      agent: 'a.priya',
      team: 'mobile',
      queue: 'tech',
      startedAt: '2026-11-10T14:30:00Z',
      csat: 4,
      disposition: 'resolved',
    },
    turns: [
      { speaker: 'agent', text: 'Acme Mobile, Priya speaking. How can I help you today?', gapMs: 600 },
      { speaker: 'customer', text: 'My new phone will not connect to the network.', gapMs: 700 },
      {
        speaker: 'agent',
        text: 'I understand. Can you confirm the last four digits of the account phone number?',
        gapMs: 600,
      },
      { speaker: 'customer', text: 'Sure, it is the number ending in twenty six.', gapMs: 800 },
      { speaker: 'agent', text: 'Thanks. Let me look into that for you.', gapMs: 600 },
      {
        speaker: 'agent',
        text: 'Thanks for waiting. Your SIM was not activated. I have activated it now.',
        gapMs: 20000,
        hold: 'music',
      },
      { speaker: 'customer', text: 'It works now, thanks.', gapMs: 900 },
      { speaker: 'agent', text: 'Is there anything else I can help you with?', gapMs: 600 },
      { speaker: 'customer', text: 'No, bye.', gapMs: 600 },
      { speaker: 'agent', text: 'Thank you for calling, goodbye.', gapMs: 500 },
    ],
  },
  {
    id: 'call-12-clean-zh-hold',
    title: 'Clean inbound call in Mandarin with an announced hold',
    channel: 'clean',
    layout: 'stereo-agent-left',
    direction: 'inbound',
    language: 'zh',
    voices: {
      agent: { voice: 'cmn+f2', pitch: 60, speed: 160, gain: 1 },
      customer: { voice: 'cmn+m1', pitch: 35, speed: 165, gain: 0.9 },
    },
    metadata: {
      agent: 'a.li',
      team: 'support-cn',
      queue: 'orders-cn',
      startedAt: '2026-11-11T03:20:00Z',
      csat: 5,
      disposition: 'resolved',
    },
    turns: [
      { speaker: 'agent', text: '您好，感谢致电极客商城，我是客服小李，请问有什么可以帮您？', gapMs: 600 },
      { speaker: 'customer', text: '你好，我的订单一直没有发货。', gapMs: 700 },
      { speaker: 'agent', text: '好的，请您提供一下订单号和手机号码后四位，我帮您核实身份。', gapMs: 600 },
      { speaker: 'customer', text: '订单号是七七三零二，手机后四位是一二八八。', gapMs: 900 },
      { speaker: 'agent', text: '谢谢您。请您稍等，我帮您查询一下，大概需要两分钟。', gapMs: 700 },
      { speaker: 'customer', text: '好的。', gapMs: 600 },
      { speaker: 'agent', text: '感谢您的耐心等待。您的订单今天下午会发货。', gapMs: 18000, hold: 'silent' },
      { speaker: 'customer', text: '好的，谢谢。', gapMs: 700 },
      { speaker: 'agent', text: '请问还有其他可以帮您的吗？', gapMs: 600 },
      { speaker: 'customer', text: '没有了。', gapMs: 600 },
      { speaker: 'agent', text: '感谢您的来电，祝您生活愉快，再见。', gapMs: 500 },
    ],
  },
]
