// The interface in zh-CN (default) and en. The choice is kept on the device.
import SERVER_TEXTS from '../../shared/texts.json';

const STORE_KEY = 'cg.lang';

const zh = {
  'app.subtitle': '网格化管理',
  'lang.label': '语言',
  signout: '退出',
  'nav.command': '指挥中心', 'nav.overdue': '超期督办', 'nav.dashboard': '考核统计', 'nav.worklist': '部门工作清单',
  'nav.field': '信息上报', 'nav.myreports': '我的上报', 'nav.tasks': '核查任务',
  'login.title': '登录', 'login.username': '用户名', 'login.password': '密码', 'login.submit': '登录',
  'login.failed': '用户名或密码错误。', 'login.locked': '尝试次数过多，请稍后再试。',
  'common.loading': '加载中…', 'common.none': '暂无', 'common.error': '出错了：{msg}', 'common.reload': '刷新',
  'common.open': '打开', 'common.submit': '提交', 'common.cancel': '取消', 'common.saved': '已完成：{what}',
  'common.deadline': '处置时限', 'common.stage_deadline': '本阶段时限', 'common.grid': '网格', 'common.street': '街道',
  'common.community': '社区', 'common.department': '责任部门', 'common.status': '状态', 'common.category': '类别',
  'common.priority': '优先级', 'common.reported_at': '上报时间', 'common.description': '问题描述',
  'common.note': '说明', 'common.reason': '原因', 'common.photos': '照片', 'common.hours': '延期小时数',
  'live.open': '实时更新：已连接', 'live.retrying': '实时更新：重新连接中…', 'live.closed': '实时更新：未连接',
  'net.offline': '网络已断开：上报将保存在本机，联网后自动发送。',
  'queue.title': '待处理队列', 'queue.hint': '超期、退回的案件排在前面；新上报自动出现。',
  'queue.new': '新上报', 'queue.returned': '退回', 'queue.overdue': '超期', 'queue.supervised': '督办',
  'queue.suggest': '建议派往：{dept}', 'queue.duplicates': '疑似重复 {n} 件',
  'map.title': '辖区地图', 'map.hint': '网格边界与案件位置；缩小时案件自动聚合，点击标记打开案件。',
  'map.tap': '点击地图可选择位置。',
  'overdue.title': '超期案件', 'overdue.none': '没有超期案件。',
  'light.green': '绿灯 正常', 'light.yellow': '黄灯 临期', 'light.red': '红灯 超期', 'light.none': '未计时',
  'case.title': '案件 {id}', 'case.timeline': '处理过程', 'case.photos': '现场照片', 'case.duplicates': '疑似重复案件',
  'case.duplicates.none': '没有疑似重复案件。', 'case.actions': '可执行操作', 'case.actions.none': '当前没有您可执行的操作。',
  'case.resolution': '处置反馈', 'case.verification': '核查结果', 'case.supervised': '已督办',
  'case.suspended': '已挂起', 'case.merge_into': '合并到此案件', 'case.rework': '返工次数：{n}',
  'case.conflict': '案件刚被他人更新，以下是最新情况，请重新操作（{msg}）',
  'case.suggestion': '路由建议：{dept}', 'case.by': '{who}（{role}）',
  'dash.title': '考核统计', 'dash.dimension': '统计维度', 'dash.period': '统计周期', 'dash.date': '日期',
  'dash.csv': '下载 CSV', 'dash.chart': '按期结案率与结案率', 'dash.dim.department': '按部门', 'dash.dim.grid': '按网格',
  'dash.dim.street': '按街道', 'dash.dim.district': '全区', 'dash.period.day': '日', 'dash.period.week': '周',
  'dash.period.month': '月', 'dash.period.quarter': '季度',
  'dash.col.name': '名称', 'dash.col.reported': '上报', 'dash.col.due': '应结', 'dash.col.closed': '结案',
  'dash.col.closed_on_time': '按期结案', 'dash.col.on_time_closure_rate': '按期结案率', 'dash.col.closure_rate': '结案率',
  'dash.col.rework_rate': '返工率', 'dash.col.extension_rate': '延期率', 'dash.col.open': '在办', 'dash.col.overdue': '超期',
  'dash.col.public_reported': '市民诉求', 'dash.col.response_rate': '响应率', 'dash.col.resolution_rate': '解决率',
  'dash.col.satisfaction_rate': '满意率', 'dash.col.rated': '已评价',
  'work.title': '部门工作清单', 'work.none': '没有待办案件。',
  'field.title': '信息上报', 'field.category': '问题类别', 'field.choose': '请选择', 'field.location': '位置',
  'field.gps': '使用 GPS 定位', 'field.gps.failed': '无法获取定位，请在地图上点击选择位置。',
  'field.location.none': '尚未选择位置', 'field.location.set': '已选位置：{lat}, {lon}',
  'field.photos': '照片（可多张，最多 9 张）', 'field.submit': '上报',
  'field.queued': '待发送：{n} 条', 'field.sent': '已上报，案件编号 {id}', 'field.saved_offline': '网络不可用，已保存在本机，联网后自动发送。',
  'field.discard': '删除', 'field.retry': '立即发送',
  'field.refused': '服务器拒绝了这条上报，没有立案：{msg}。请删除后重新上报。',
  'field.refused.photo': '服务器不接受第 {n} 张照片，这条上报没有发出：{msg}。请删除后换一张照片重新上报。',
  'field.unconfirmed.network': '没有收到服务器的应答，服务器可能已经收到。它会自动用同一编号重发，不会重复立案；请勿再次上报。',
  'field.unconfirmed.server': '服务器暂时出错（{status}），可能已经收到。它会自动用同一编号重发，不会重复立案；请勿再次上报。',
  'field.unconfirmed.later': '服务器请稍后再试（{status}），可能已经收到。它会自动用同一编号重发，不会重复立案；请勿再次上报。',
  'field.unconfirmed.unsent': '照片还没有全部发出，上报尚未发送。联网后会自动继续发送。',
  'field.need_location': '请先选择位置。', 'field.need_category': '请选择问题类别。',
  'mine.title': '我的上报', 'mine.none': '还没有上报。', 'mine.pending': '待发送（本机）',
  'tasks.title': '核查任务', 'tasks.none': '没有待核查的案件。', 'tasks.pass': '核查通过', 'tasks.fail': '未通过（返工）',
  'tasks.result': '核查结论', 'tasks.submit': '提交核查',
  // -- the console: inbox, settings, map, names (issue 18) --
  'nav.inbox': '通知', 'nav.settings': '通知设置', 'inbox.unread': '{n} 条未读',
  'inbox.title': '通知', 'inbox.mine': '我的通知', 'inbox.department': '部门通知：{dept}',
  'inbox.none': '没有通知。', 'inbox.read': '标为已读', 'inbox.read_all': '全部标为已读', 'inbox.more': '更多',
  'inbox.unread_tag': '未读', 'inbox.open_case': '打开案件 {id}', 'inbox.marked': '已标为已读 {n} 条',
  'settings.title': '通知设置', 'settings.channels': '接收方式', 'settings.channels.hint': '不勾选“自定义”的通知按系统规则发送；勾选后自选接收方式，全部不选则不再接收此类通知。',
  'settings.kind': '通知类型', 'settings.default': '默认', 'settings.save': '保存', 'settings.saved': '已保存。',
  'settings.custom': '自定义 {kind}', 'settings.own': '自定义',
  'channel.inbox': '站内', 'channel.email': '邮件', 'channel.sms': '短信',
  'subs.title': '关注与订阅', 'subs.none': '尚未关注任何案件或区域。', 'subs.kind': '关注对象', 'subs.target': '编号或名称',
  'subs.add': '关注', 'subs.remove': '取消关注', 'subs.kind.case': '案件', 'subs.kind.grid': '网格',
  'subs.kind.community': '社区', 'subs.kind.street': '街道', 'subs.kind.category': '类别',
  'case.follow': '关注此案件', 'case.unfollow': '取消关注', 'case.followed': '已关注此案件。',
  'map.filters': '筛选', 'map.all': '全部', 'map.light': '信号灯', 'map.heat': '热点图层（本月上报最多的网格）',
  'map.count': '地图上 {n} 件在办案件', 'map.names': '街道与社区名称',
  'kind.case.reported': '新上报', 'kind.case.registered': '已立案', 'kind.case.rejected': '不予立案', 'kind.case.merged': '已合并',
  'kind.case.dispatched': '派遣到部门', 'kind.case.accepted': '部门签收', 'kind.case.returned': '部门退回',
  'kind.case.extension_requested': '申请延期', 'kind.case.extension_approved': '延期已批准', 'kind.case.extension_denied': '延期未批准',
  'kind.case.supervised': '督办', 'kind.case.suspended': '挂起', 'kind.case.resumed': '恢复',
  'kind.case.resolved': '已处置，请核查', 'kind.case.reworked': '核查未通过，返工', 'kind.case.verified': '核查通过，待结案',
  'kind.case.closed': '已结案', 'kind.case.cancelled': '已作废', 'kind.case.commented': '新评论', 'kind.case.escalated': '超期预警',
  // -- end of the console block --
  'admin.title': '管理员', 'admin.hint': '管理功能请使用 API 文档：',
  'notfound': '页面不存在。',
  // statuses
  'status.reported': '待立案', 'status.registered': '已立案', 'status.dispatched': '已派遣', 'status.accepted': '已签收',
  'status.resolved': '已处置', 'status.verified': '核查通过', 'status.closed': '已结案', 'status.rejected': '不予立案',
  'status.merged': '已合并', 'status.cancelled': '已作废',
  // actions
  'action.register': '立案', 'action.reject': '不予立案', 'action.merge': '合并', 'action.dispatch': '派遣',
  'action.accept': '签收', 'action.return': '退回', 'action.request_extension': '申请延期',
  'action.approve_extension': '批准延期', 'action.deny_extension': '驳回延期', 'action.suspend': '挂起',
  'action.resume': '恢复', 'action.resolve': '处置反馈', 'action.verify': '核查', 'action.close': '结案',
  'action.reopen': '返工（重新打开）', 'action.cancel': '作废', 'action.comment': '备注', 'action.supervise': '督办',
  'action.absorb': '并入重复案件', 'action.report': '上报', 'action.escalate': '升级提醒', 'action.open': '上报',
  'merge.target': '合并到案件编号',
  'priority.urgent': '紧急', 'priority.high': '高', 'priority.normal': '普通', 'priority.low': '低',
  'role.grid_officer': '网格员', 'role.grid_leader': '网格长', 'role.operator': '派遣员', 'role.handler': '处置人员',
  'role.department_head': '部门负责人', 'role.supervisor': '督办', 'role.admin': '管理员', 'role.system': '系统', 'role.public': '市民',
  'action.rate': '市民回访', 'rating.satisfied': '满意', 'rating.basically_satisfied': '基本满意', 'rating.unsatisfied': '不满意',
  // an error without a text of its own (docs/ui.md): by its code
  'error.VALIDATION_ERROR': '请求中有无效的字段。', 'error.UNPROCESSABLE': '无法处理该请求。',
  'error.UNKNOWN_CATEGORY': '未知的事件类别。', 'error.UNSUPPORTED_FILE': '不支持的文件类型。', 'error.FILE_TOO_LARGE': '文件太大。',
  'error.UNKNOWN_GRID': '未知网格。', 'error.OUTSIDE_GRIDS': '位置不在任何网格内。', 'error.NOT_FOUND': '没有找到。',
  'error.CONFLICT': '数据已有变化，请刷新后重试。', 'error.LAST_ADMINISTRATOR': '系统须至少保留一名在用的系统管理员。', 'error.WRONG_STATE': '案件当前的状态不允许此操作。',
  'error.UNAUTHENTICATED': '请先登录。', 'error.FORBIDDEN': '你无权执行此操作。', 'error.TOO_MANY_REQUESTS': '请求过多，请稍后再试。',
  'error.SERVICE_UNAVAILABLE': '服务暂不可用，请稍后再试。', 'error.UPSTREAM_TIMEOUT': '服务响应超时，请稍后再试。',
  'error.METHOD_NOT_ALLOWED': '不支持此请求。', 'error.INTERNAL': '系统内部错误。', 'error.http': '请求失败（HTTP {status}）。',
  'error.network': '无法连接服务器，请检查网络。', 'error.fields': '无效的字段：{fields}。', 'error.list_separator': '、',
};

const en = {
  'app.subtitle': 'grid management',
  'lang.label': 'Language',
  signout: 'Sign out',
  'nav.command': 'Command centre', 'nav.overdue': 'Overdue', 'nav.dashboard': 'Indicators', 'nav.worklist': 'Worklist',
  'nav.field': 'Report', 'nav.myreports': 'My reports', 'nav.tasks': 'Checks',
  'login.title': 'Sign in', 'login.username': 'Username', 'login.password': 'Password', 'login.submit': 'Sign in',
  'login.failed': 'Wrong username or password.', 'login.locked': 'Too many attempts; try again later.',
  'common.loading': 'Loading…', 'common.none': 'None', 'common.error': 'Something went wrong: {msg}', 'common.reload': 'Reload',
  'common.open': 'Open', 'common.submit': 'Submit', 'common.cancel': 'Cancel', 'common.saved': 'Done: {what}',
  'common.deadline': 'Deadline', 'common.stage_deadline': 'Stage due', 'common.grid': 'Grid', 'common.street': 'Street',
  'common.community': 'Community', 'common.department': 'Department', 'common.status': 'Status', 'common.category': 'Category',
  'common.priority': 'Priority', 'common.reported_at': 'Reported', 'common.description': 'Description',
  'common.note': 'Note', 'common.reason': 'Reason', 'common.photos': 'Photos', 'common.hours': 'Extra hours',
  'live.open': 'Live updates: connected', 'live.retrying': 'Live updates: reconnecting…', 'live.closed': 'Live updates: off',
  'net.offline': 'Offline: reports are kept on this device and sent when the network returns.',
  'queue.title': 'Queue', 'queue.hint': 'Overdue and returned cases first; new reports appear by themselves.',
  'queue.new': 'New', 'queue.returned': 'Returned', 'queue.overdue': 'Overdue', 'queue.supervised': 'Supervised',
  'queue.suggest': 'Suggested: {dept}', 'queue.duplicates': '{n} possible duplicates',
  'map.title': 'District map', 'map.hint': 'Grid outlines and cases; cases cluster when zoomed out; click a marker to open the case.',
  'map.tap': 'Tap the map to choose the place.',
  'overdue.title': 'Overdue cases', 'overdue.none': 'No overdue cases.',
  'light.green': 'Green: on time', 'light.yellow': 'Yellow: due soon', 'light.red': 'Red: overdue', 'light.none': 'No clock',
  'case.title': 'Case {id}', 'case.timeline': 'Timeline', 'case.photos': 'Photos', 'case.duplicates': 'Possible duplicates',
  'case.duplicates.none': 'No possible duplicates.', 'case.actions': 'Actions', 'case.actions.none': 'Nothing for you to do on this case now.',
  'case.resolution': 'Department result', 'case.verification': 'Check', 'case.supervised': 'Supervised',
  'case.suspended': 'Suspended', 'case.merge_into': 'Merge into this case', 'case.rework': 'Rework: {n}',
  'case.conflict': 'Someone has just changed this case; here it is as it is now, please try again ({msg})',
  'case.suggestion': 'Routing suggests: {dept}', 'case.by': '{who} ({role})',
  'dash.title': 'Indicators', 'dash.dimension': 'By', 'dash.period': 'Period', 'dash.date': 'Date',
  'dash.csv': 'Download CSV', 'dash.chart': 'On-time closure rate and closure rate', 'dash.dim.department': 'Department',
  'dash.dim.grid': 'Grid', 'dash.dim.street': 'Street', 'dash.dim.district': 'District', 'dash.period.day': 'Day',
  'dash.period.week': 'Week', 'dash.period.month': 'Month', 'dash.period.quarter': 'Quarter',
  'dash.col.name': 'Name', 'dash.col.reported': 'Reported', 'dash.col.due': 'Due', 'dash.col.closed': 'Closed',
  'dash.col.closed_on_time': 'Closed on time', 'dash.col.on_time_closure_rate': 'On-time closure', 'dash.col.closure_rate': 'Closure',
  'dash.col.rework_rate': 'Rework', 'dash.col.extension_rate': 'Extension', 'dash.col.open': 'Open', 'dash.col.overdue': 'Overdue',
  'dash.col.public_reported': 'Public reports', 'dash.col.response_rate': 'Response', 'dash.col.resolution_rate': 'Resolution',
  'dash.col.satisfaction_rate': 'Satisfaction', 'dash.col.rated': 'Rated',
  'work.title': 'Worklist', 'work.none': 'Nothing to do.',
  'field.title': 'Report a problem', 'field.category': 'Category', 'field.choose': 'Choose…', 'field.location': 'Place',
  'field.gps': 'Use GPS', 'field.gps.failed': 'No position from GPS: tap the map instead.',
  'field.location.none': 'No place chosen yet', 'field.location.set': 'Place: {lat}, {lon}',
  'field.photos': 'Photos (several, at most 9)', 'field.submit': 'Send report',
  'field.queued': 'Waiting to send: {n}', 'field.sent': 'Reported: case {id}', 'field.saved_offline': 'No network: kept on this device, sent when the network returns.',
  'field.discard': 'Discard', 'field.retry': 'Send now',
  'field.refused': 'The server refused this report and recorded nothing: {msg}. Discard it and report again.',
  'field.refused.photo': 'The server would not take photo {n}, so this report was not sent: {msg}. Discard it and report again with another photo.',
  'field.unconfirmed.network': 'No answer from the server: it may already have this report. It will be sent again by itself with the same key and can never become a second case; do not report it again.',
  'field.unconfirmed.server': 'The server had a problem ({status}) and may already have this report. It will be sent again by itself with the same key and can never become a second case; do not report it again.',
  'field.unconfirmed.later': 'The server asked to try later ({status}) and may already have this report. It will be sent again by itself with the same key and can never become a second case; do not report it again.',
  'field.unconfirmed.unsent': 'Not all photos are up yet, so the report has not been sent. It carries on by itself when the network is back.',
  'field.need_location': 'Choose the place first.', 'field.need_category': 'Choose a category.',
  'mine.title': 'My reports', 'mine.none': 'No reports yet.', 'mine.pending': 'Waiting on this device',
  'tasks.title': 'Checks to make', 'tasks.none': 'Nothing to check.', 'tasks.pass': 'Fixed (pass)', 'tasks.fail': 'Not fixed (rework)',
  'tasks.result': 'Result', 'tasks.submit': 'Send check',
  // -- the console: inbox, settings, map, names (issue 18) --
  'nav.inbox': 'Inbox', 'nav.settings': 'Notification settings', 'inbox.unread': '{n} unread',
  'inbox.title': 'Inbox', 'inbox.mine': 'My notifications', 'inbox.department': 'Department: {dept}',
  'inbox.none': 'No notifications.', 'inbox.read': 'Mark read', 'inbox.read_all': 'Mark all read', 'inbox.more': 'More',
  'inbox.unread_tag': 'Unread', 'inbox.open_case': 'Open case {id}', 'inbox.marked': 'Marked {n} read',
  'settings.title': 'Notification settings', 'settings.channels': 'Channels', 'settings.channels.hint': 'A kind without "My own" follows the platform\'s rules; with it, tick the channels you want (none silences the kind).',
  'settings.kind': 'Kind', 'settings.default': 'Default', 'settings.save': 'Save', 'settings.saved': 'Saved.',
  'settings.custom': 'My own channels for {kind}', 'settings.own': 'My own',
  'channel.inbox': 'Inbox', 'channel.email': 'E-mail', 'channel.sms': 'SMS',
  'subs.title': 'Following', 'subs.none': 'You follow no case and watch no area.', 'subs.kind': 'What', 'subs.target': 'Code or name',
  'subs.add': 'Follow', 'subs.remove': 'Stop following', 'subs.kind.case': 'Case', 'subs.kind.grid': 'Grid',
  'subs.kind.community': 'Community', 'subs.kind.street': 'Street', 'subs.kind.category': 'Category',
  'case.follow': 'Follow this case', 'case.unfollow': 'Stop following', 'case.followed': 'You follow this case.',
  'map.filters': 'Filters', 'map.all': 'All', 'map.light': 'Light', 'map.heat': 'Hot spots (grids with most reports this month)',
  'map.count': '{n} open cases on the map', 'map.names': 'Street and community names',
  'kind.case.reported': 'New report', 'kind.case.registered': 'Registered', 'kind.case.rejected': 'Rejected', 'kind.case.merged': 'Merged',
  'kind.case.dispatched': 'Dispatched to a department', 'kind.case.accepted': 'Signed for', 'kind.case.returned': 'Returned by a department',
  'kind.case.extension_requested': 'Extension requested', 'kind.case.extension_approved': 'Extension approved', 'kind.case.extension_denied': 'Extension denied',
  'kind.case.supervised': 'Supervision (督办)', 'kind.case.suspended': 'Suspended', 'kind.case.resumed': 'Resumed',
  'kind.case.resolved': 'Resolved: please verify', 'kind.case.reworked': 'Failed the check: rework', 'kind.case.verified': 'Verified: ready to close',
  'kind.case.closed': 'Closed', 'kind.case.cancelled': 'Cancelled', 'kind.case.commented': 'New comment', 'kind.case.escalated': 'Deadline warning',
  // -- end of the console block --
  'admin.title': 'Administrator', 'admin.hint': 'Administration is done through the API:',
  'notfound': 'No such page.',
  'status.reported': 'Reported', 'status.registered': 'Registered', 'status.dispatched': 'Dispatched', 'status.accepted': 'Signed for',
  'status.resolved': 'Resolved', 'status.verified': 'Verified', 'status.closed': 'Closed', 'status.rejected': 'Rejected',
  'status.merged': 'Merged', 'status.cancelled': 'Cancelled',
  'action.register': 'Register', 'action.reject': 'Reject', 'action.merge': 'Merge', 'action.dispatch': 'Dispatch',
  'action.accept': 'Sign for', 'action.return': 'Return', 'action.request_extension': 'Request extension',
  'action.approve_extension': 'Approve extension', 'action.deny_extension': 'Deny extension', 'action.suspend': 'Suspend',
  'action.resume': 'Resume', 'action.resolve': 'Resolve', 'action.verify': 'Verify', 'action.close': 'Close',
  'action.reopen': 'Reopen (rework)', 'action.cancel': 'Cancel case', 'action.comment': 'Comment', 'action.supervise': 'Supervise',
  'action.absorb': 'Absorbed a duplicate', 'action.report': 'Reported', 'action.escalate': 'Escalated', 'action.open': 'Reported',
  'merge.target': 'Merge into case number',
  'priority.urgent': 'Urgent', 'priority.high': 'High', 'priority.normal': 'Normal', 'priority.low': 'Low',
  'role.grid_officer': 'grid officer', 'role.grid_leader': 'grid leader', 'role.operator': 'operator', 'role.handler': 'handler',
  'role.department_head': 'department head', 'role.supervisor': 'supervisor', 'role.admin': 'administrator', 'role.system': 'system', 'role.public': 'member of the public',
  'action.rate': 'Rated by the reporter', 'rating.satisfied': 'satisfied', 'rating.basically_satisfied': 'basically satisfied', 'rating.unsatisfied': 'unsatisfied',
  'error.VALIDATION_ERROR': 'The request has invalid fields.', 'error.UNPROCESSABLE': 'The request cannot be carried out.',
  'error.UNKNOWN_CATEGORY': 'Unknown category.', 'error.UNSUPPORTED_FILE': 'Unsupported file type.', 'error.FILE_TOO_LARGE': 'The file is too large.',
  'error.UNKNOWN_GRID': 'Unknown grid.', 'error.OUTSIDE_GRIDS': 'The place is outside every grid.', 'error.NOT_FOUND': 'Not found.',
  'error.CONFLICT': 'Something changed meanwhile; reload and try again.', 'error.LAST_ADMINISTRATOR': 'At least one active administrator must remain.', 'error.WRONG_STATE': 'The case is not in a state that allows this.',
  'error.UNAUTHENTICATED': 'Sign in first.', 'error.FORBIDDEN': 'You are not allowed to do this.', 'error.TOO_MANY_REQUESTS': 'Too many requests; try again shortly.',
  'error.SERVICE_UNAVAILABLE': 'A service is unavailable; try again shortly.', 'error.UPSTREAM_TIMEOUT': 'A service did not answer in time; try again shortly.',
  'error.METHOD_NOT_ALLOWED': 'This request is not supported.', 'error.INTERNAL': 'Internal error.', 'error.http': 'The request failed (HTTP {status}).',
  'error.network': 'The server cannot be reached; check the network.', 'error.fields': 'Invalid fields: {fields}.', 'error.list_separator': ', ',
};

const DICTS = { 'zh-CN': zh, en };
let current = localStorage.getItem(STORE_KEY) || 'zh-CN';
if (!DICTS[current]) current = 'zh-CN';

export function lang() { return current; }

export function setLang(value) {
  current = DICTS[value] ? value : 'zh-CN';
  localStorage.setItem(STORE_KEY, current);
  document.documentElement.lang = current;
}

/** A text the server names by key (an error's `reason`, a timeline note's `note_key`), from the one catalogue
 * both share (shared/texts.json): a parameter that is a word of its own (`term.<name>.<value>`) is translated too.
 * Null for a key the catalogue does not hold. */
export function serverText(key, params = {}) {
  const entry = SERVER_TEXTS[key];
  if (!entry) return null;
  return entry[current].replace(/\{(\w+)\}/g, (_, name) => {
    if (!(name in params)) return '';
    return SERVER_TEXTS[`term.${name}.${params[name]}`]?.[current] ?? String(params[name]);
  });
}

export function t(key, params = {}) {
  const text = DICTS[current][key] ?? zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? ''));
}

/** A name in the current language from a {name_zh, name_en} record. */
export function localName(item, fallback = '') {
  if (!item) return fallback;
  return (current === 'en' ? item.name_en : item.name_zh) || item.name || fallback;
}

export function formatTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(current, { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** Fill every element marked data-i18n with its text. */
export function translateStatic(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
}

document.documentElement.lang = current;
