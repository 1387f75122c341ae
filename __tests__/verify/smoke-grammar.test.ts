import { checkUrl, parseSmokeChecks, SmokeGrammarError } from '../../src/verify/smoke-grammar.js'

test.each([
  ['/health', { target: '/health' }],
  ['/health 200', { target: '/health', status: 200 }],
  ['/health 200 ok', { target: '/health', status: 200, text: 'ok' }],
  ['/ Hello from hello-app!', { target: '/', text: 'Hello from hello-app!' }],
  ['/login 302', { target: '/login', status: 302 }],
  ['/status 503 down for   maintenance', { target: '/status', status: 503, text: 'down for   maintenance' }],
  ['https://example.com/ping 204', { target: 'https://example.com/ping', status: 204 }],
  ['http://127.0.0.1:5000/x?y=1 contains 200 words', { target: 'http://127.0.0.1:5000/x?y=1', text: 'contains 200 words' }],
  ['  /padded   200   ok  ', { target: '/padded', status: 200, text: 'ok' }]
])('%j parses', (line, expected) => {
  const [check] = parseSmokeChecks(line)
  expect({ target: check.target, status: check.status, text: check.text }).toEqual({ status: undefined, text: undefined, ...expected })
})

test('several lines, blank lines and comments', () => {
  const checks = parseSmokeChecks('/health 200 ok\n\n# the home page\n/ Hello\r\n')
  expect(checks.map((c) => c.line)).toEqual(['/health 200 ok', '/ Hello'])
  expect(parseSmokeChecks('')).toEqual([])
})

test.each([
  ['health 200', "Input 'smoke-checks' line 1 ('health 200') must start with a path such as /health or an http(s) URL."],
  ['ftp://example.com/x', "line 1 ('ftp://example.com/x') must start with a path"],
  ['/health 700', "Input 'smoke-checks' line 1 ('/health 700') has status 700: expected an HTTP status code from 100 to 599."],
  ['/health 99 ok', 'has status 99']
])('%j is refused, naming the line', (line, message) => {
  expect(() => parseSmokeChecks(line)).toThrow(SmokeGrammarError)
  expect(() => parseSmokeChecks(line)).toThrow(message)
})

test('every malformed line is named with its number', () => {
  try {
    parseSmokeChecks('/ok\nbad one\n/x 1000')
    throw new Error('expected an error')
  } catch (error) {
    expect((error as SmokeGrammarError).problems).toEqual([expect.stringContaining("line 2 ('bad one')"), expect.stringContaining("line 3 ('/x 1000')")])
  }
})

test('a path resolves against the web_url; a URL is kept', () => {
  const [path, url] = parseSmokeChecks('/health?deep=1\nhttps://status.example.com/')
  expect(checkUrl(path, 'https://app-1a2b.herokuapp.com/')).toBe('https://app-1a2b.herokuapp.com/health?deep=1')
  expect(checkUrl(path, 'http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000/health?deep=1')
  expect(checkUrl(url, 'https://app.herokuapp.com/')).toBe('https://status.example.com/')
})
