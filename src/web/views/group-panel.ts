import type { BannedMember, Conversation, ConversationMember, Invite, InviteLink, NotifyLevel } from '@relay-im/client'
import { h, replace } from '../dom.js'
import type { Store } from '../store.js'
import { linkFile, uploadFile } from '../uploads.js'
import { errorText, t, type Key } from '../i18n/index.js'
import { confirmButtons } from './confirm.js'
import { dateTimeOf } from '../i18n/dates.js'
import { retentionSection } from './retention-setting.js'

/** The mute choices: how long from now, null for no end, 0 to unmute. */
const MUTES: Array<{ value: string, label: Key, ms: number | null }> = [
  { value: 'off', label: 'mute.off', ms: 0 },
  { value: '1h', label: 'mute.1h', ms: 3_600_000 },
  { value: '8h', label: 'mute.8h', ms: 8 * 3_600_000 },
  { value: 'forever', label: 'mute.forever', ms: null }
]
export const MUTE_CHOICES = MUTES.map((m) => ({ ...m, label: t(m.label) }))

export const NOTIFY_CHOICES: Array<{ value: NotifyLevel, label: string }> = (['all', 'mentions', 'none'] as const).map((value) => ({ value, label: t(`notifyLevel.${value}`) }))

/** "Muted until 14:05", "Muted" (no end) or "". */
export function muteState (store: Store, c: Conversation): string {
  if (!store.muted(c)) return ''
  const until = new Date(c.settings!.mutedUntil!)
  if (until.getUTCFullYear() >= 9999) return t('mute.state')
  return t('mute.until', { when: dateTimeOf(until.toISOString()) })
}

/** Applies a mute choice. */
export async function applyMute (store: Store, conversationId: string, value: string): Promise<void> {
  const choice = MUTE_CHOICES.find((m) => m.value === value)
  if (choice === undefined) return
  const settings = await store.client.mute(conversationId, choice.ms)
  const c = store.conversations.get(conversationId)
  if (c !== undefined) c.settings = settings
  store.emitConversations()
}

/**
 * The conversation's settings panel: for groups and channels the profile (name, topic,
 * avatar; owner and admins edit), the members with their roles (the owner promotes, demotes
 * and hands over; owner and admins remove), for the owner and admins the group's live invite
 * links (create, copy the ones made here, revoke any) and the banned users (unban), and
 * leaving; for every conversation my own settings (notify, mute, pin, archive).
 */
export function groupPanel (store: Store, conversationId: string, onClose: () => void): { el: HTMLElement, destroy: () => void } {
  const { client, me } = store
  const confirmButton = confirmButtons()
  const body = h('div', { class: 'panel-body' })
  const error = h('p', { class: 'error', role: 'alert', testid: 'panel-error' })
  /** Invites made while the panel is open: only these have their code (the server keeps hashes). */
  const invites: Invite[] = []
  /** The group's live invites and the bans, as the server lists them to its owner and admins. */
  let links: InviteLink[] = []
  /** undefined: not mine to see */
  let bans: BannedMember[] | undefined
  let nameDraft: string | undefined
  let topicDraft: string | undefined

  async function act (fn: () => Promise<unknown>): Promise<void> {
    error.textContent = ''
    try {
      const result = await fn()
      const c = result as Partial<Conversation> | undefined
      if (c !== undefined && c !== null && typeof c === 'object' && c.id === conversationId && Array.isArray(c.members)) store.add(c as Conversation)
    } catch (err) {
      error.textContent = errorText(err)
    }
    await refreshLists()
    render()
  }

  /** Reads the invites and bans when I may manage this conversation (a removal bans, a demotion revokes). */
  async function refreshLists (): Promise<void> {
    const c = store.conversations.get(conversationId)
    const role = c === undefined ? undefined : store.role(c)
    // A channel's admins are unknown to the page (it gets no member list): the server decides.
    const mayManage = c !== undefined && (role === 'owner' || role === 'admin' || c.type === 'channel')
    if (c === undefined || !mayManage || c.type === 'direct') {
      links = []
      bans = undefined
      return
    }
    const [l, b] = await Promise.all([
      c.type === 'group' && (role === 'owner' || role === 'admin') ? client.invites(c.id).catch(() => []) : Promise.resolve([]),
      client.bans(c.id).catch(() => undefined)
    ])
    links = l
    bans = b
  }

  function inviteUrl (code: string): string {
    return `${location.origin}${location.pathname}#/invite/${code}`
  }

  async function copy (text: string, field: HTMLInputElement): Promise<void> {
    try {
      await navigator.clipboard.writeText(text)
    } catch {
      field.select()
      document.execCommand('copy')
    }
  }

  function memberRow (c: Conversation, m: ConversationMember, myRole: string | undefined): HTMLElement {
    const isMe = m.id === me.id
    const owner = myRole === 'owner'
    const canRemove = !isMe && m.role !== 'owner' && (owner || (myRole === 'admin' && m.role === 'member'))
    return h('li', { class: 'person', testid: 'panel-member', 'data-user-id': m.id, 'data-username': m.username, 'data-role': m.role },
      h('span', { class: 'conv-text' },
        h('span', { class: 'conv-title' }, isMe ? t('panel.you', { name: m.displayName }) : m.displayName),
        h('span', { class: 'conv-preview' }, `@${m.username}`)),
      m.role !== 'member' ? h('span', { class: `tag role-${m.role}`, testid: 'member-role' }, m.role) : null,
      h('span', { class: 'actions' },
        owner && !isMe && m.role === 'member' ? h('button', { type: 'button', class: 'small', testid: 'member-promote', onclick: () => { void act(() => client.setRole(c.id, m.id, 'admin')) } }, t('panel.makeAdmin')) : null,
        owner && !isMe && m.role === 'admin' ? h('button', { type: 'button', class: 'small', testid: 'member-demote', onclick: () => { void act(() => client.setRole(c.id, m.id, 'member')) } }, t('panel.removeAdmin')) : null,
        owner && !isMe ? confirmButton(`transfer:${m.id}`, { class: 'small', 'data-testid': 'member-transfer' }, t('panel.makeOwner'), t('panel.confirmOwner'), () => { void act(() => client.transferOwnership(c.id, m.id)) }) : null,
        canRemove ? confirmButton(`remove:${m.id}`, { class: 'small danger', 'data-testid': 'member-remove' }, t('panel.remove'), t('panel.confirmRemove'), () => { void act(() => client.removeGroupMember(c.id, m.id)) }) : null))
  }

  function profile (c: Conversation, canEdit: boolean): HTMLElement {
    const avatarUrl = c.avatarUrl ?? null
    const avatarImg = avatarUrl !== null ? h('img', { class: 'group-avatar', testid: 'group-avatar', alt: '' }) : null
    if (avatarImg !== null && avatarUrl !== null) linkFile(client, avatarUrl, [[avatarImg, 'src']])
    if (!canEdit) {
      return h('section', { class: 'panel-section' },
        avatarImg,
        h('h3', { testid: 'panel-name' }, store.title(c)),
        h('p', { class: 'muted', testid: 'panel-topic' }, c.topic ?? ''))
    }
    const name = h('input', { testid: 'group-name-input', value: nameDraft ?? c.name ?? '', maxlength: 64, 'aria-label': t('panel.name'), oninput: () => { nameDraft = name.value } })
    const topic = h('input', { testid: 'group-topic-input', value: topicDraft ?? c.topic ?? '', maxlength: 256, 'aria-label': t('panel.topic'), placeholder: t('panel.noTopic'), oninput: () => { topicDraft = topic.value } })
    const file = h('input', { type: 'file', accept: 'image/*', testid: 'group-avatar-input', hidden: true })
    file.addEventListener('change', () => {
      const f = file.files?.[0]
      if (f === undefined) return
      void act(async () => {
        const { content } = await uploadFile(client, f)
        return await client.updateGroup(c.id, { avatarUrl: content.url })
      })
    })
    return h('form', {
      class: 'panel-section',
      testid: 'group-profile',
      onsubmit: (e: SubmitEvent) => {
        e.preventDefault()
        const patch: { name?: string, topic?: string | null } = {}
        if (name.value.trim() !== (c.name ?? '')) patch.name = name.value.trim()
        if (topic.value.trim() !== (c.topic ?? '')) patch.topic = topic.value.trim() === '' ? null : topic.value.trim()
        if (patch.name === undefined && patch.topic === undefined) return
        void act(async () => {
          const r = await client.updateGroup(c.id, patch)
          nameDraft = undefined
          topicDraft = undefined
          return r
        })
      }
    },
    h('div', { class: 'avatar-line' }, avatarImg,
      h('button', { type: 'button', class: 'small', testid: 'group-avatar-upload', onclick: () => { file.click() } }, avatarUrl === null ? t('panel.addPhoto') : t('panel.changePhoto')), file),
    h('label', { class: 'field' }, t('panel.name'), name),
    h('label', { class: 'field' }, t('panel.topic'), topic),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'primary small', testid: 'group-save' }, t('panel.save'))))
  }

  function whoMade (c: Conversation, userId: string | null): string {
    if (userId === me.id) return t('panel.byYou')
    return c.members.find((m) => m.id === userId)?.displayName ?? t('panel.formerMember')
  }

  function inviteMeta (c: Conversation, link: InviteLink): string {
    const uses = link.maxUses === null ? t('panel.uses', { count: link.uses }) : t('panel.usesOf', { count: link.uses, max: link.maxUses })
    const expiry = link.expiresAt === null ? t('panel.noExpiry') : t('panel.expires', { when: dateTimeOf(link.expiresAt) })
    return t('panel.inviteMeta', { who: whoMade(c, link.createdBy), made: dateTimeOf(link.createdAt), uses, expiry })
  }

  function inviteSection (c: Conversation): HTMLElement {
    // The server's list, plus invites made here that it has not returned yet.
    const listed = new Set(links.map((l) => l.id))
    const rows: InviteLink[] = [...invites.filter((i) => !listed.has(i.id)).map((i) => ({ ...i, createdBy: me.id })), ...links]
    return h('section', { class: 'panel-section', testid: 'invites' },
      h('h3', {}, t('panel.invites')),
      rows.length === 0 ? h('p', { class: 'muted small', testid: 'invites-empty' }, t('panel.noInvites')) : null,
      ...rows.map((link) => {
        const code = invites.find((i) => i.id === link.id)?.code
        const url = code === undefined ? undefined : inviteUrl(code)
        const field = url === undefined ? undefined : h('input', { readonly: true, value: url, testid: 'invite-link', 'data-code': code, 'aria-label': t('panel.inviteLink') })
        return h('div', { class: 'invite-row', testid: 'invite', 'data-invite-id': link.id, 'data-created-by': link.createdBy ?? '' },
          field ?? null,
          h('span', { class: 'muted small', testid: 'invite-meta' }, inviteMeta(c, link)),
          field !== undefined && url !== undefined ? h('button', { type: 'button', class: 'small', testid: 'invite-copy', onclick: () => { void copy(url, field) } }, t('panel.copy')) : null,
          h('button', {
            type: 'button',
            class: 'small danger',
            testid: 'invite-revoke',
            onclick: () => {
              void act(async () => {
                await client.revokeInvite(c.id, link.id)
                const mine = invites.findIndex((i) => i.id === link.id)
                if (mine >= 0) invites.splice(mine, 1)
              })
            }
          }, t('panel.revoke')))
      }),
      h('button', { type: 'button', class: 'small', testid: 'invite-create', onclick: () => { void act(async () => { invites.push(await client.createInvite(c.id)) }) } }, t('panel.createInvite')))
  }

  function banSection (c: Conversation, list: BannedMember[]): HTMLElement {
    return h('section', { class: 'panel-section', testid: 'bans' },
      h('h3', {}, t('panel.banned', { count: list.length })),
      list.length === 0 ? h('p', { class: 'muted small' }, t('panel.noBans')) : null,
      h('ul', { class: 'list' }, ...list.map((b) =>
        h('li', { class: 'person', testid: 'banned-member', 'data-user-id': b.user.id },
          h('span', { class: 'conv-text' },
            h('span', { class: 'conv-title' }, b.user.displayName),
            h('span', { class: 'conv-preview' }, `@${b.user.username}`)),
          h('span', { class: 'actions' },
            h('button', { type: 'button', class: 'small', testid: 'unban', onclick: () => { void act(() => client.unban(c.id, b.user.id)) } }, t('panel.unban')))))))
  }

  function mySettings (c: Conversation): HTMLElement {
    const s = c.settings
    const notify = h('select', { testid: 'notify-select', 'aria-label': t('panel.notifications') },
      ...NOTIFY_CHOICES.map((o) => h('option', { value: o.value, selected: (s?.notify ?? 'all') === o.value }, o.label)))
    notify.addEventListener('change', () => { void act(() => store.updateSettings(c.id, { notify: notify.value as NotifyLevel })) })
    const mute = h('select', { testid: 'mute-select', 'aria-label': t('panel.mute') },
      ...MUTE_CHOICES.map((o) => h('option', { value: o.value, selected: o.value === 'off' && !store.muted(c) }, o.label)))
    if (store.muted(c)) mute.prepend(h('option', { value: 'current', selected: true, disabled: true }, muteState(store, c)))
    mute.addEventListener('change', () => { void act(() => applyMute(store, c.id, mute.value)) })
    return h('section', { class: 'panel-section' },
      h('h3', {}, t('panel.mySettings')),
      h('label', { class: 'field' }, t('panel.notifyAbout'), notify),
      h('label', { class: 'field' }, t('panel.mute'), mute),
      h('span', { class: 'muted small', testid: 'mute-state' }, muteState(store, c)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'small', testid: 'panel-pin', onclick: () => { void act(() => store.updateSettings(c.id, { pinned: s?.pinned !== true })) } }, s?.pinned === true ? t('panel.unpinChat') : t('panel.pinChat')),
        h('button', { type: 'button', class: 'small', testid: 'panel-archive', onclick: () => { void act(() => store.updateSettings(c.id, { archived: s?.archived !== true })) } }, s?.archived === true ? t('panel.unarchive') : t('panel.archive'))))
  }

  function render (): void {
    const c = store.conversations.get(conversationId)
    if (c === undefined) { onClose(); return }
    const myRole = store.role(c)
    const shared = c.type === 'group' || c.type === 'channel'
    const canEdit = shared && (myRole === 'owner' || myRole === 'admin')
    replace(body,
      shared ? profile(c, canEdit) : null,
      shared
        ? h('section', { class: 'panel-section' },
          h('h3', {}, t('panel.members', { count: c.memberCount ?? c.members.length })),
          c.members.length === 0 && c.type === 'channel' ? h('p', { class: 'muted small' }, t('panel.channelNoList')) : null,
          h('ul', { class: 'list', testid: 'panel-members' }, ...[...c.members]
            .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.displayName.localeCompare(b.displayName))
            .map((m) => memberRow(c, m, myRole))))
        : null,
      shared ? retentionSection(client, c, canEdit, act) : null,
      c.type === 'group' && canEdit ? inviteSection(c) : null,
      bans !== undefined ? banSection(c, bans) : null,
      mySettings(c),
      shared
        ? h('section', { class: 'panel-section' },
          confirmButton('leave', { class: 'danger', 'data-testid': 'group-leave' }, c.type === 'channel' ? t('panel.leaveChannel') : t('panel.leaveGroup'), t('panel.confirmLeave'), () => {
            void (async () => {
              try {
                await client.leaveGroup(c.id)
                store.conversations.delete(c.id)
                store.emitConversations()
                onClose()
              } catch (err) {
                error.textContent = errorText(err)
              }
            })()
          }))
        : null)
  }

  let stale = false
  const unsubscribe = store.subscribe((e) => {
    if (e.type !== 'conversations') return
    // Never re-render under the caret of someone typing a name or topic: after they leave the field.
    const active = document.activeElement
    if (active instanceof HTMLInputElement && body.contains(active) && active.type !== 'file') stale = true
    else render()
  })
  body.addEventListener('focusout', () => { if (stale) { stale = false; setTimeout(render, 0) } })
  render()
  let panelOpen = true
  void refreshLists().then(() => { if (panelOpen) render() })
  const el = h('aside', { class: 'group-panel', testid: 'group-panel', role: 'dialog', 'aria-label': t('chat.settingsLabel') },
    h('header', { class: 'panel-head' },
      h('h2', {}, t('panel.title')),
      h('button', { type: 'button', class: 'link', testid: 'panel-close', 'aria-label': t('panel.close'), onclick: onClose }, '✕')),
    error,
    body)
  return { el, destroy: () => { panelOpen = false; unsubscribe() } }
}

const ROLE_ORDER = { owner: 0, admin: 1, member: 2 } as const
