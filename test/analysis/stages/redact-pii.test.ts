import { describe, expect, test } from 'vitest'
import { cnIdValid, findPii, ibanValid, luhnValid, redactText } from '../../../analysis/stages/redact-pii.js'

describe('redactText removes personal data', () => {
  test.each([
    [
      'My card number is 4111 1111 1111 1111, expiry next year.',
      'My card number is [CARD], expiry next year.',
    ],
    ['It is four one one one, one one one one, one one one one, one one one one.', 'It is [CARD].'],
    ['card 4111-1111-1111-1111', 'card [CARD]'],
    ['My SSN is 123-45-6789.', 'My SSN is [SSN].'],
    [
      'my social security number is one two three four five six seven eight nine',
      'my social security number is [SSN]',
    ],
    ['Call me back on 415-555-0132 please.', 'Call me back on [PHONE] please.'],
    ['The office is +44 20 7946 0958.', 'The office is [PHONE].'],
    [
      'my mobile number is oh seven seven double one, two three four, five six seven',
      'my mobile number is [PHONE]',
    ],
    ['Email jane.doe@example.com for the receipt.', 'Email [EMAIL] for the receipt.'],
    ['It is jane at example dot com, the order was online.', 'It is [EMAIL], the order was online.'],
    ['send it to j dot smith at mail dot co dot uk', 'send it to [EMAIL]'],
    ['IBAN GB82 WEST 1234 5698 7654 32 please', 'IBAN [IBAN] please'],
    ['my bank account number is 12345678 at Barclays', 'my bank account number is [ACCOUNT] at Barclays'],
  ])('%s', (input, expected) => {
    expect(redactText(input)).toBe(expected)
  })

  test.each([
    ['我的身份证号是11010519491231002X。', '我的身份证号是[ID]。'],
    ['身份证 440306199001011236', '身份证 [ID]'],
    ['我的手机号是13812345678，谢谢。', '我的手机号是[PHONE]，谢谢。'],
    ['手机号幺三八一二三四五六七八', '手机号[PHONE]'],
    ['银行卡号 6222 0212 3456 7890 128', '银行卡号 [CARD]'],
    ['请发到 wang.li@example.cn', '请发到 [EMAIL]'],
  ])('Chinese: %s', (input, expected) => {
    expect(redactText(input)).toBe(expected)
  })
})

describe('redactText leaves what is not personal data', () => {
  test.each([
    'The engineer comes at 10:30 tomorrow, or three thirty at the latest.',
    'Your bill is $45.20, that is forty five dollars and twenty cents.',
    'It was 123.45 pounds in October 2026, paid on 2026-11-02.',
    'Order number four four eight one two, under the name Jane Porter.',
    'Your order 1234567890 ships today.',
    'The reference is 4111111111111112.',
    'The account number is A C seven two nine, and my birthday is March third.',
    'Card ending eight eight two.',
    'I have called three times in 2025 and twice this week.',
    '订单号是八八六二一，三到五个工作日退款。',
    '退款金额是199.00元，预计3到5天到账。',
    '快递单号 773012345678901',
  ])('%s', (text) => {
    expect(findPii(text)).toEqual([])
    expect(redactText(text)).toBe(text)
  })
})

test('spans point into the original text, so times can follow', () => {
  const text = 'Card 4111 1111 1111 1111 and mail jane@example.com.'
  const spans = findPii(text)
  expect(spans.map((s) => [s.kind, text.slice(s.start, s.end)])).toEqual([
    ['card', '4111 1111 1111 1111'],
    ['email', 'jane@example.com'],
  ])
})

test('check digits', () => {
  expect([luhnValid('4111111111111111'), luhnValid('4111111111111112')]).toEqual([true, false])
  expect([cnIdValid('11010519491231002X'), cnIdValid('110105194912310021')]).toEqual([true, false])
  expect([ibanValid('GB82 WEST 1234 5698 7654 32'), ibanValid('GB82 WEST 1234 5698 7654 33')]).toEqual([
    true,
    false,
  ])
})
