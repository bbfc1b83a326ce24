/**
 * The filter every selector of the per-tracker dashboard carries: the job and the
 * selected trackers (the `job` and `instance` variables).
 */
import { filteredBy } from '../queries.js'

export const { sel, rate } = filteredBy('job="$job", instance=~"$instance"')

/**
 * The same filter, but also matching series without an instance label: "$instance|" is
 * the selected trackers or the empty string. For ALERTS, where LibP2PTrackerTargetAbsent
 * (from absent(up{job=...})) has a job but no instance, and must show whichever tracker
 * is selected.
 */
export const withUnlabelled = filteredBy('job="$job", instance=~"$instance|"')
