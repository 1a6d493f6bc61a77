// Chinese and English labels of the review UI. Keys are used by data-i18n attributes and by app.js.
"use strict";

const LABELS = {
  zh: {
    title: "事件记录", login: "登录", logout: "退出", username: "用户名", password: "密码",
    offline: "离线", online: "实时", allTypes: "全部类型", allStatuses: "全部状态", allGrids: "全部网格",
    no_mask: "未戴口罩", crowd: "人群聚集", other: "其他",
    new: "待审核", confirmed: "已确认", dismissed: "已驳回", resolved: "已处理",
    inView: "仅地图范围", confirmSelected: "确认所选", dismissSelected: "驳回所选", resolveSelected: "所选标记已处理",
    keys: "Tab/j/k 上下 · x 选择 · c 确认 · d 驳回 · Enter 详情",
    time: "时间", type: "类型", grid: "网格", drone: "无人机", status: "状态", mission: "任务",
    people: "人数", confidence: "置信度", position: "位置", station: "站点", note: "备注",
    more: "加载更多", broadcasts: "播放的广播", history: "审核记录", confirm: "确认", dismiss: "驳回",
    resolve: "已处理", perHour: "每小时事件", perGrid: "各网格事件", selected: "已选 {n} 条",
    none: "无", loginFailed: "用户名或密码错误", tooMany: "尝试次数过多，请稍后再试",
    legend: "网格颜色（未处理事件数）", newIncident: "新事件",
    since: "从", until: "到", export: "导出", undo: "撤销", selectAll: "全选", details: "附加信息",
    total: "共 {n} 条", showing: "显示 {shown} / 共 {n} 条", loading: "加载中…", loadFailed: "加载失败：{error}",
    undone: "已撤销", undoText: "{n} 条已标记为“{status}”", undoFailed: "撤销失败：{error}",
    exportFailed: "导出失败：{error}", open: "未处理 {n}", zoneLabel: "时区 {zone}",
    mapNote: "圆点：符合筛选条件的 {n} 条事件；网格颜色：各网格全部未处理事件（待审核和已确认，不限日期）。",
    mapNoteCapped: "圆点：符合筛选条件的 {n} 条事件中的前 {shown} 条；网格颜色：各网格全部未处理事件（待审核和已确认，不限日期）。",
    kind: "类型", language: "语言",
    // admin screens and session
    admin: "管理", adminTitle: "管理", backToReview: "返回审核", stationKeys: "站点密钥", users: "用户",
    auditLog: "审计日志", stationId: "站点编号", issueKey: "签发密钥", id: "编号", issued: "签发时间",
    state: "状态", actions: "操作", active: "有效", revokedAt: "已吊销 {time}", revoke: "吊销", rotate: "轮换",
    reallyRevoke: "确认吊销？", reallyRotate: "确认轮换？", keyRevoked: "密钥 {id}（站点 {station}）已吊销",
    secretShown: "站点 {station} 的新密钥（编号 {id}）只显示这一次：请立即复制并交给站点。",
    copy: "复制", copied: "已复制", copyFailed: "无法自动复制，请选中后手动复制", done: "完成",
    role: "角色", role_reviewer: "审核员", role_admin: "管理员", created: "创建时间", disabledState: "已停用",
    disable: "停用", reallyDisable: "确认停用？", enable: "启用", newPassword: "设置新密码", save: "保存",
    cancel: "取消", createUser: "新建用户", passwordHint: "至少 12 个字符，不易猜测",
    userCreated: "已创建用户 {user}", userDisabled: "{user} 已停用，其登录已全部结束", userEnabled: "{user} 已启用",
    passwordSet: "已为 {user} 设置新密码，其登录已全部结束", you: "（你）",
    refresh: "刷新", auditHint: "最新的在前（最多 200 条）", actor: "操作人", action: "操作", target: "对象",
    detail: "说明", adminFailed: "操作失败：{error}",
    sessionEnded: "会话已结束（在别处退出、账号被停用或登录已过期），请重新登录。",
    "audit_create-user": "新建用户", "audit_disable-user": "停用用户", "audit_enable-user": "启用用户",
    "audit_reset-password": "重设密码", "audit_create-station-key": "签发站点密钥",
    "audit_revoke-station-key": "吊销站点密钥", "audit_rotate-station-key": "轮换站点密钥",
    "audit_delete-incident": "删除事件", "audit_redact-incident": "删减事件内容",
  },
  en: {
    title: "Incident log", login: "Log in", logout: "Log out", username: "Username", password: "Password",
    offline: "offline", online: "live", allTypes: "All types", allStatuses: "All statuses", allGrids: "All grids",
    no_mask: "No mask", crowd: "Crowd", other: "Other",
    new: "New", confirmed: "Confirmed", dismissed: "Dismissed", resolved: "Resolved",
    inView: "In map view", confirmSelected: "Confirm selected", dismissSelected: "Dismiss selected",
    resolveSelected: "Mark selected resolved", keys: "Tab/j/k move · x select · c confirm · d dismiss · Enter details",
    time: "Time", type: "Type", grid: "Grid", drone: "Drone", status: "Status", mission: "Mission",
    people: "People", confidence: "Confidence", position: "Position", station: "Station", note: "Note",
    more: "Load more", broadcasts: "Broadcasts played", history: "Review history", confirm: "Confirm",
    dismiss: "Dismiss", resolve: "Resolve", perHour: "Incidents per hour", perGrid: "Incidents per grid",
    selected: "{n} selected", none: "none", loginFailed: "Wrong username or password",
    tooMany: "Too many attempts; try again later", legend: "Grid colour (open incidents)",
    newIncident: "New incident",
    since: "From", until: "to", export: "Export", undo: "Undo", selectAll: "Select all", details: "Details",
    total: "{n} incidents", showing: "Showing {shown} of {n} incidents", loading: "Loading…",
    loadFailed: "Could not load: {error}", undone: "Undone", undoText: "{n} marked “{status}”",
    undoFailed: "Undo failed: {error}", exportFailed: "Export failed: {error}", open: "{n} open",
    zoneLabel: "time zone {zone}",
    mapNote: "Dots: the {n} incidents matching the filters. Grid colour: all open incidents of the grid (new and confirmed, any date).",
    mapNoteCapped: "Dots: the first {shown} of {n} incidents matching the filters. Grid colour: all open incidents of the grid (new and confirmed, any date).",
    kind: "Kind", language: "Language",
    // admin screens and session
    admin: "Admin", adminTitle: "Administration", backToReview: "Back to review", stationKeys: "Station keys",
    users: "Users", auditLog: "Audit log", stationId: "Station id", issueKey: "Issue key", id: "Id",
    issued: "Issued", state: "State", actions: "Actions", active: "active", revokedAt: "revoked {time}",
    revoke: "Revoke", rotate: "Rotate", reallyRevoke: "Really revoke?", reallyRotate: "Really rotate?",
    keyRevoked: "Key {id} (station {station}) revoked",
    secretShown: "New key for station {station} (id {id}). It is shown only now: copy it and give it to the station.",
    copy: "Copy", copied: "Copied", copyFailed: "Could not copy; select the key and copy it by hand", done: "Done",
    role: "Role", role_reviewer: "reviewer", role_admin: "admin", created: "Created", disabledState: "disabled",
    disable: "Disable", reallyDisable: "Really disable?", enable: "Enable", newPassword: "New password",
    save: "Save", cancel: "Cancel", createUser: "Create user", passwordHint: "12+ characters, hard to guess",
    userCreated: "User {user} created", userDisabled: "{user} disabled; their logins ended",
    userEnabled: "{user} enabled", passwordSet: "New password set for {user}; their logins ended", you: "(you)",
    refresh: "Refresh", auditHint: "Newest first (up to 200)", actor: "Actor", action: "Action",
    target: "Target", detail: "Detail", adminFailed: "Failed: {error}",
    sessionEnded: "Your session has ended (logged out elsewhere, account disabled or login expired). Please log in again.",
    "audit_create-user": "user created", "audit_disable-user": "user disabled", "audit_enable-user": "user enabled",
    "audit_reset-password": "password reset", "audit_create-station-key": "station key issued",
    "audit_revoke-station-key": "station key revoked", "audit_rotate-station-key": "station key rotated",
    "audit_delete-incident": "incident deleted", "audit_redact-incident": "incident redacted",
  },
};

let LANG = localStorage.getItem("gridpatrol.lang") || (navigator.language.startsWith("zh") ? "zh" : "en");

function t(key, vars) {
  // Own properties only: a key from data (e.g. "__proto__") must never pick up an inherited object.
  const own = (table) => (table && Object.hasOwn(table, key) ? table[key] : undefined);
  let text = own(LABELS[LANG]) ?? own(LABELS.en) ?? String(key);
  // One pass with a replacer function: a value containing "$&" or "{n}" comes out exactly as written.
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return text;
}

function applyLabels(root) {
  document.documentElement.lang = LANG;
  for (const el of (root || document).querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of (root || document).querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of (root || document).querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  document.getElementById("lang").textContent = LANG === "zh" ? "EN" : "中文";
}

function setLang(lang) {
  LANG = lang;
  localStorage.setItem("gridpatrol.lang", lang);
  applyLabels();
}
