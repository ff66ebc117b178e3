import { t } from './i18n.js';

export function lightLabel(light) { return t(`light.${light || 'none'}`); }
