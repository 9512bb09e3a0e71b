// suite: default only — compares two constants, no database
import t from 'tap'
import { SEARCHABLE_TYPES } from '../../../src/modules/message-kinds/index.js'
import { SEARCHED_TYPE } from '../../../src/modules/search/index.js'

t.test('search covers exactly the kinds the registry calls searchable', async (t) => {
  t.same(SEARCHABLE_TYPES, [SEARCHED_TYPE], 'a kind with searchText needs search (and its indexes) to read it')
})
