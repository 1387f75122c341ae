import { run } from './main.js'
import { silenceUrlParseWarning } from './quiet.js'

silenceUrlParseWarning()
// A cancelled run must not linger on requests still in flight: exit once it has reported.
const result = await run()
if (result.status === 'cancelled') process.exit()
