/* zh and en. Texts are keyed by their English wording; {0}, {1} are filled in. Elements with data-i18n show the
 * translation of that key. The station's own answers (results, refusals) come in English. */
'use strict';
window.GP = window.GP || {};
GP.ZH = {
  'Operator console': '巡逻操作台', 'Log out': '退出', 'Log in': '登录', 'User name': '用户名', 'Password': '密码',
  'Command': '指挥', 'Drone': '无人机', 'Go to a point': '飞往地点', 'Lat': '纬度', 'Lon': '经度',
  'Height (m)': '高度（米）', 'Go to': '飞往', 'Speak': '喊话', 'Text': '文字', 'Language': '语言',
  'Incidents': '事件', 'Confirm': '确认', 'Cancel': '取消', 'offline': '离线', 'live': '在线', 'silent': '无响应',
  'Click the map to pick the point; it is checked against the fence and no-fly zones.':
    '在地图上点击选择地点；会先检查电子围栏和禁飞区。',
  'No news from the station for over 2 s: what you see may be old.': '超过 2 秒没有收到地面站数据：画面可能已过时。',
  'Mode': '模式', 'Phase': '阶段', 'Battery': '电量', 'Link': '链路', 'Height': '高度', 'Speed': '速度',
  'Heading': '航向', 'Grid': '网格', 'Item': '航点', 'Video': '视频', 'Vehicle says': '飞控消息',
  'Pause': '暂停', 'Resume': '继续', 'Return home': '返航', 'Land': '降落', 'Skip grid': '跳过网格',
  'Investigate': '前往查看', 'not connected': '未连接', 'armed': '已解锁', 'ok': '正常', 'lost': '中断',
  'investigating': '查看中', 'warned': '已喊话', 'outside the grids': '网格外', 'grid {0}': '网格 {0}',
  'cancelled': '已取消', 'snapshot': '快照', 'Video: {0}': '视频：{0}', 'Telemetry stopped {0} ago': '遥测已中断 {0}',
  'Return {0} home now (RTL)? Its mission ends.': '现在让 {0} 返航（RTL）？任务将结束。',
  'Land {0} where it is now (LAND)? Check the ground below is clear.': '让 {0} 原地降落（LAND）？请确认下方无人。',
  'Skip the rest of grid {0} on {1}?': '让 {1} 跳过网格 {0} 的剩余部分？',
  'Fly {0} to {1}, {2} (GUIDED)?': '让 {0} 飞往 {1}, {2}（GUIDED）？',
  'Send {0} to look at this {1} incident, then back to its route?': '派 {0} 前往查看这个{1}事件，然后回到航线？',
  'Click the map to pick a go-to point. Keys for the drone chosen under Command: p pause, r resume, h return home.':
    '点击地图选择飞往地点。快捷键（作用于“指挥”中选中的无人机）：p 暂停，r 继续，h 返航。',
  'Your login ended; log in again.': '登录已失效，请重新登录。',
  'no_mask': '未戴口罩', 'crowd': '人群聚集', 'fence': '电子围栏', 'grid': '网格', 'no-fly zone': '禁飞区',
  'launch site': '起飞点',
  'Hold to talk (t)': '按住讲话（t）', 'Talking to {0}: release to send': '正在对 {0} 讲话：松开即发送',
  'Sending your voice to {0} …': '正在把语音发送到 {0} …', 'No microphone: {0}': '没有麦克风：{0}',
  'Push-to-talk needs the console on https or on this computer (localhost).':
    '按住讲话需要通过 https 或在本机（localhost）打开操作台。',
  'Pre-flight checks': '起飞前检查', 'The vehicle answers on its link': '飞控链路已连通',
  '3-D GPS fix and a healthy EKF': 'GPS 三维定位，EKF 正常', "Standing at the plan's launch site": '位于计划起飞点',
  'Fence, rally points and failsafes set and read back': '电子围栏、集结点和失控保护已设置并回读',
  'Mission uploaded and read back': '航线已上传并回读', 'Battery charged for take-off': '电量足够起飞',
  "Armed: the autopilot's pre-arm checks passed": '已解锁：飞控起飞前自检通过',
  'Plan and launch': '规划并起飞', 'Grids': '网格', 'Drones': '无人机', 'Pattern': '航线样式',
  "each grid's own": '按网格设定', 'Preview': '预览', 'Launch': '起飞', 'Planning …': '正在规划 …',
  '{0} km in all, {1} min of flight, {2} sortie(s)': '共 {0} 公里，飞行 {1} 分钟，{2} 架次',
  '{0} sortie {1} from {2}: grids {3}, {4} km, {5} min, {6} % battery':
    '{0} 第 {1} 架次，自 {2} 起飞：网格 {3}，{4} 公里，{5} 分钟，耗电 {6}%',
  'Each launch flies the sortie chosen above; launch the next one once the drones have landed.':
    '每次起飞只飞上面选定的架次；无人机降落后再起飞下一个架次。', 'Sortie': '架次',
  'Planned; check the routes, then launch.': '已规划；请检查航线后起飞。',
  'Launch {0} over grid(s) {1}?': '让 {0} 起飞巡逻网格 {1}？',
};
GP.lang = (localStorage.getItem('gp-console-lang') || navigator.language || 'en').startsWith('zh') ? 'zh' : 'en';

GP.t = function (key, ...args) {
  const text = (GP.lang === 'zh' && GP.ZH[key]) || key;
  return text.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)]));
};

/* Show every data-i18n element in the current language (its key is its English text). */
GP.translate = function (root) {
  (root || document).querySelectorAll('[data-i18n]').forEach((node) => {
    if (!node.dataset.i18n) node.dataset.i18n = node.textContent.trim();
    node.textContent = GP.t(node.dataset.i18n);
  });
  document.documentElement.lang = GP.lang === 'zh' ? 'zh' : 'en';
  const button = document.getElementById('lang');
  if (button) button.textContent = GP.lang === 'zh' ? 'EN' : '中文';
};

GP.setLang = function (lang) {
  GP.lang = lang;
  localStorage.setItem('gp-console-lang', lang);
  GP.translate();
};
