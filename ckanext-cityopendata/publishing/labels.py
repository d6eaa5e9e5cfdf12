"""Permission labels: CKAN's own mechanism, extended so city reviewers can read submitted datasets."""
from __future__ import annotations

from ckan import model
from ckan.lib.plugins import DefaultPermissionLabels

from ckanext.cityopendata.publishing import roles, workflow as wf

REVIEW_LABEL = "cityopendata-review"


class WorkflowPermissionLabels(DefaultPermissionLabels):
    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        labels = super().get_dataset_labels(dataset_obj)
        if labels != ["public"] and wf.state_of(dataset_obj) == wf.SUBMITTED:
            labels.append(REVIEW_LABEL)
        return labels

    def get_user_dataset_labels(self, user_obj: model.User) -> list[str]:
        labels = super().get_user_dataset_labels(user_obj)
        if user_obj is not None and not user_obj.is_anonymous and roles.is_city_reviewer(user_obj.name):
            labels.append(REVIEW_LABEL)
        return labels
