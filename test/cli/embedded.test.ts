/** The tour on the embedded default: a fresh `.cheap-data` in a private working directory. */
import { tour } from './tour.ts'

tour({ name: 'the embedded database (./.cheap-data)', args: [], env: {}, embedded: true })
